//! Multi-row statements: many rows per round trip, within the bind-parameter
//! limit of the backend.

use std::collections::HashMap;
use std::fmt::Write;

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, Row};

use crate::{Backend, StoreError};

pub(crate) type AnyQuery<'q> = Query<'q, Any, AnyArguments<'q>>;

/// Runs `head VALUES (row), (row) tail` over `rows`, in chunks that fit the
/// backend's parameter limit. `row` is the row's values: `?` for each value
/// `bind` binds, and literals for what every row shares (fixgate's own ids,
/// times and names, never report text), which spares binding them row by
/// row; binding is most of what a bulk insert costs. Serves both `INSERT … VALUES … RETURNING` and
/// `UPDATE … FROM (VALUES …) AS v WHERE …`. Returns the rows the statements
/// return, in chunk order.
pub(crate) async fn for_rows<R, F>(
    conn: &mut AnyConnection,
    backend: Backend,
    statement: (&str, &str),
    row: &str,
    rows: &[R],
    bind: F,
) -> Result<Vec<AnyRow>, StoreError>
where
    F: for<'q> Fn(AnyQuery<'q>, &'q R) -> AnyQuery<'q>,
{
    let (head, tail) = statement;
    let binds = row.matches('?').count();
    let per_chunk = (backend.max_params() / binds.max(1)).max(1);
    let full_sql = values_sql(backend, head, row, per_chunk, tail);
    let last_sql = values_sql(backend, head, row, rows.len() % per_chunk, tail);
    let sql_for = |chunk: &[R]| {
        if chunk.len() == per_chunk { &full_sql } else { &last_sql }
    };

    // While the database runs one chunk, the next one's values are bound:
    // `join!` polls the statement first, which hands it to the driver's
    // worker, then builds the next query on this thread.
    let mut out = Vec::new();
    let mut pending = None;
    for chunk in rows.chunks(per_chunk) {
        pending = Some(match pending.take() {
            None => build(sql_for(chunk), chunk, &bind),
            Some(running) => {
                let running: AnyQuery<'_> = running;
                let (rows, next) = tokio::join!(running.fetch_all(&mut *conn), async {
                    build(sql_for(chunk), chunk, &bind)
                });
                out.extend(rows?);
                next
            }
        });
    }
    if let Some(last) = pending {
        out.extend(last.fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// Inserts `rows` into `table` (whose `id` is its integer primary key) and
/// returns each row's new id, in the order of `rows`.
///
/// On SQLite the ids are not sent back row by row, which would cost more than
/// the insert itself: the import holds the database's write lock, and SQLite
/// numbers new rows on from the largest id, so the ids are the next ones in
/// order; a count afterwards confirms it. PostgreSQL returns each id with the
/// row's `key_column`, which `key` reads from the row.
#[allow(clippy::too_many_arguments)] // One statement's parts, each needed.
pub(crate) async fn insert_with_ids<R, F, K>(
    conn: &mut AnyConnection,
    backend: Backend,
    table: &str,
    (head, key_column): (&str, &str),
    row: &str,
    rows: &[R],
    bind: F,
    key: K,
) -> Result<Vec<i64>, StoreError>
where
    F: for<'q> Fn(AnyQuery<'q>, &'q R) -> AnyQuery<'q>,
    K: Fn(&R) -> &str,
{
    if backend == Backend::Postgres {
        let tail = format!("RETURNING id, {key_column}");
        let returned = for_rows(conn, backend, (head, &tail), row, rows, bind).await?;
        let mut ids = HashMap::with_capacity(returned.len());
        for r in returned {
            ids.insert(r.try_get::<String, _>(1)?, r.try_get::<i64, _>(0)?);
        }
        return rows
            .iter()
            .map(|r| {
                ids.get(key(r)).copied().ok_or_else(|| {
                    StoreError::Conflict(format!("{table}: no id came back for {}", key(r)))
                })
            })
            .collect();
    }

    let largest = format!("SELECT COALESCE(MAX(id), 0) FROM {table}");
    let before: i64 = sqlx::query(&largest).fetch_one(&mut *conn).await?.try_get(0)?;
    for_rows(conn, backend, (head, ""), row, rows, bind).await?;
    let after: i64 = sqlx::query(&largest).fetch_one(&mut *conn).await?.try_get(0)?;
    if usize::try_from(after - before).ok() != Some(rows.len()) {
        return Err(StoreError::Conflict(format!(
            "{table}: {} rows inserted but ids moved from {before} to {after}",
            rows.len()
        )));
    }
    Ok((before + 1..=after).collect())
}

fn build<'q, R, F>(sql: &'q str, chunk: &'q [R], bind: &F) -> AnyQuery<'q>
where
    F: for<'a> Fn(AnyQuery<'a>, &'a R) -> AnyQuery<'a>,
{
    let mut query = sqlx::query(sql);
    for row in chunk {
        query = bind(query, row);
    }
    query
}

fn values_sql(backend: Backend, head: &str, row: &str, rows: usize, tail: &str) -> String {
    let mut sql = String::with_capacity(head.len() + tail.len() + rows * (row.len() + 24));
    sql.push_str(head);
    sql.push_str(" VALUES ");
    let mut n = 0;
    for index in 0..rows {
        if index > 0 {
            sql.push(',');
        }
        sql.push('(');
        for (part, text) in row.split('?').enumerate() {
            if part > 0 {
                n += 1;
                push_placeholder(&mut sql, backend, n);
            }
            sql.push_str(text);
        }
        sql.push(')');
    }
    sql.push(' ');
    sql.push_str(tail);
    sql
}

/// A row template of `count` bound values.
pub(crate) fn binds(count: usize) -> String {
    vec!["?"; count].join(",")
}

/// Parameter `n` (1-based) of a statement whose parameters are bound in the
/// order they appear. SQLite gets anonymous `?`: it looks a named parameter
/// up by scanning all of them, which makes binding 30,000 `$n` parameters
/// quadratic. PostgreSQL only knows `$n`.
fn push_placeholder(sql: &mut String, backend: Backend, n: usize) {
    match backend {
        Backend::Sqlite => sql.push('?'),
        Backend::Postgres => {
            let _ = write!(sql, "${n}");
        }
    }
}

/// Parameters `first..first + count` for an `IN (…)` list; see
/// [`push_placeholder`] for the order they must be bound in.
pub(crate) fn placeholders(backend: Backend, first: usize, count: usize) -> String {
    let mut sql = String::with_capacity(count * 7);
    for n in first..first + count {
        if n > first {
            sql.push(',');
        }
        push_placeholder(&mut sql, backend, n);
    }
    sql
}

/// Parameter `n` on its own.
pub(crate) fn placeholder(backend: Backend, n: usize) -> String {
    let mut sql = String::new();
    push_placeholder(&mut sql, backend, n);
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_numbered_across_rows() {
        assert_eq!(
            values_sql(Backend::Postgres, "INSERT INTO t (a, b)", "?,?", 2, "RETURNING id"),
            "INSERT INTO t (a, b) VALUES ($1,$2),($3,$4) RETURNING id"
        );
        assert_eq!(
            values_sql(Backend::Sqlite, "INSERT INTO t (a, b)", "?,?", 2, ""),
            "INSERT INTO t (a, b) VALUES (?,?),(?,?) "
        );
        assert_eq!(
            values_sql(Backend::Postgres, "INSERT INTO t (a, b, c)", "?,7,?", 2, ""),
            "INSERT INTO t (a, b, c) VALUES ($1,7,$2),($3,7,$4) "
        );
        assert_eq!(placeholders(Backend::Postgres, 3, 3), "$3,$4,$5");
        assert_eq!(placeholders(Backend::Sqlite, 3, 3), "?,?,?");
    }
}
