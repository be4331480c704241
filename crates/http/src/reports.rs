//! `/api/v1/reports/kpis`: fixgate's figures, as JSON or a long CSV table,
//! of the tickets the caller sees; and `/api/v1/reports/evidence`, the
//! evidence pack (see [`crate::evidence`]).

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use fixgate_domain::{Action, Severity};
use fixgate_service::report::{KpiRequest, Period};
use fixgate_store::{KpiFilter, KpiGroup};
use jiff::civil::Date;
use serde::Deserialize;

use crate::auth::Caller;
use crate::routes::Routes;
use crate::{ApiError, AppState};

pub(crate) fn routes() -> Routes {
    Routes::new()
        .get("/api/v1/reports/kpis", kpis)
        .get("/api/v1/reports/evidence", crate::evidence::evidence)
}

/// `?since=2026-09-01&until=2026-11-30&by=team&period=month&stale_days=14&format=csv`,
/// narrowed with `team=`, `app=` and `severity=`; empty values mean the
/// default.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct KpiQuery {
    #[serde(default)]
    since: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    by: String,
    #[serde(default)]
    period: String,
    #[serde(default)]
    stale_days: String,
    #[serde(default)]
    team: String,
    #[serde(default)]
    app: String,
    #[serde(default)]
    severity: String,
    #[serde(default)]
    format: String,
}

/// A query value, or `None` when it is empty.
fn text(value: &str) -> Option<String> {
    Some(value.trim().to_string()).filter(|v| !v.is_empty())
}

impl KpiQuery {
    fn to_request(&self) -> Result<KpiRequest, ApiError> {
        let date = |name: &str, value: &str| -> Result<Option<Date>, ApiError> {
            let value = value.trim();
            if value.is_empty() {
                return Ok(None);
            }
            value.parse::<Date>().map(Some).map_err(|_| {
                ApiError::bad_request(format!("{name}: {value:?} is not a date such as 2026-12-01"))
            })
        };
        let stale_days = match self.stale_days.trim() {
            "" => None,
            days => Some(days.parse::<u32>().map_err(|_| {
                ApiError::bad_request(format!("stale_days: {days:?} is not a number of days"))
            })?),
        };
        Ok(KpiRequest {
            since: date("since", &self.since)?,
            until: date("until", &self.until)?,
            by: match self.by.trim() {
                "" => None,
                by => Some(by.parse::<KpiGroup>().map_err(ApiError::bad_request)?),
            },
            period: match self.period.trim() {
                "" => Period::default(),
                period => period.parse().map_err(ApiError::bad_request)?,
            },
            stale_days,
            filter: KpiFilter {
                team: text(&self.team),
                application: text(&self.app),
                severity: match self.severity.trim() {
                    "" => None,
                    value => Some(
                        value
                            .parse::<Severity>()
                            .map_err(|err| ApiError::bad_request(format!("severity: {err}")))?,
                    ),
                },
            },
            ..KpiRequest::default()
        })
    }
}

async fn kpis(
    State(state): State<AppState>,
    Caller(caller): Caller,
    query: Result<Query<KpiQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    caller.require(Action::Read)?;
    let Query(query) = query.map_err(|err| ApiError::bad_request(err.body_text()))?;
    let request = query.to_request()?;
    let csv = match query.format.trim() {
        "" | "json" => false,
        "csv" => true,
        other => {
            return Err(ApiError::bad_request(format!(
                "format: {other:?} is not one of json or csv"
            )));
        }
    };
    let kpis = state.fixgate.kpis(&request, caller.visibility()).await?;
    if csv {
        let headers = [(header::CONTENT_TYPE, "text/csv; charset=utf-8")];
        return Ok((headers, kpis.to_csv()).into_response());
    }
    Ok(Json(kpis).into_response())
}
