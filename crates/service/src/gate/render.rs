//! A check for people: plain text for a pipeline's log, Markdown for a pull
//! request's comment (summary table first, long lists folded and capped, so
//! a comment stays readable and under the forges' size limits).

use std::fmt::Write as _;

use super::{Classification, Group, Item, Verdict};

/// Rows each group lists in Markdown before "and N more".
pub const MARKDOWN_ROWS: usize = 50;

/// Counts, the verdict, then each non-empty group's findings.
pub fn text(check: &Classification, verdict: &Verdict) -> String {
    let counts = check.counts;
    let mut out = format!(
        "fixgate check: {} new, {} still open, {} fixed by this change, {} suppressed\n",
        counts.new, counts.still_open, counts.fixed, counts.suppressed
    );
    let _ = writeln!(out, "  {}", context(check));
    let _ = writeln!(out, "  {}", outcome(verdict));
    for group in Group::ALL {
        let items = check.groups.get(group);
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{} ({}):", group.label(), items.len());
        for item in items {
            let _ = writeln!(
                out,
                "  {:<8} {:<9} {}  {}{}",
                item.severity.as_str(),
                item.ticket.as_deref().unwrap_or("-"),
                item.title,
                item.location(),
                item.reason.as_deref().map(|r| format!("  ({r})")).unwrap_or_default()
            );
        }
    }
    out
}

/// A heading with the verdict, a summary table and one folded list a group.
pub fn markdown(check: &Classification, verdict: &Verdict, rows: usize) -> String {
    let headline = if verdict.passed { "passed" } else { "failed" };
    let mut out = format!("## fixgate check {headline}\n\n");
    let _ = writeln!(out, "{}. {}.\n", escape(&context(check)), escape(&outcome(verdict)));
    out.push_str("| findings | count |\n| --- | ---: |\n");
    for group in Group::ALL {
        let _ = writeln!(out, "| {} | {} |", group.label(), check.groups.get(group).len());
    }
    for group in Group::ALL {
        let items = check.groups.get(group);
        if items.is_empty() {
            continue;
        }
        // New findings are what the reviewer must look at: shown unfolded.
        let open = if group == Group::New { " open" } else { "" };
        let _ = write!(
            out,
            "\n<details{open}><summary><b>{} ({})</b></summary>\n\n\
             | severity | ticket | title | location |\n| --- | --- | --- | --- |\n",
            group.label(),
            items.len()
        );
        for item in items.iter().take(rows) {
            out.push_str(&markdown_row(item));
        }
        if items.len() > rows {
            let _ = writeln!(out, "\nand {} more", items.len() - rows);
        }
        out.push_str("\n</details>\n");
    }
    out
}

fn markdown_row(item: &Item) -> String {
    let location = item.location();
    let location = if location.is_empty() { String::new() } else { code(&location) };
    let mut title = escape(&item.title);
    if let Some(reason) = &item.reason {
        let _ = write!(title, " <i>({})</i>", escape(reason));
    }
    format!(
        "| {} | {} | {} | {} |\n",
        item.severity.as_str(),
        item.ticket.as_deref().map(escape).unwrap_or_default(),
        title,
        location
    )
}

/// What was compared with what.
fn context(check: &Classification) -> String {
    let tools = if check.tools.is_empty() { "no tool".into() } else { check.tools.join(", ") };
    let branch = check.branch.as_deref().map(|b| format!(" on branch {b}")).unwrap_or_default();
    let against = match (check.against.as_str(), &check.repository) {
        ("baseline", _) => format!("a baseline report of {} findings", check.compared_with),
        (_, Some(repository)) => format!(
            "{} findings fixgate has for {repository}{}",
            check.compared_with,
            check.application.as_deref().map(|a| format!(" ({a})")).unwrap_or_default()
        ),
        (_, None) => format!("{} findings fixgate has", check.compared_with),
    };
    format!("{tools} ({} report){branch}, compared with {against}", check.format)
}

fn outcome(verdict: &Verdict) -> String {
    match (verdict.passed, verdict.failing) {
        (true, _) => format!("Passed: the policy fails on {}", verdict.fail_on.describe()),
        (false, n) => format!(
            "Failed: {n} new finding{} of severity {} or above",
            if n == 1 { "" } else { "s" },
            verdict.fail_on.as_str()
        ),
    }
}

/// Text safe in a Markdown table cell and in HTML: no pipe, no tag, no
/// line break, no emphasis.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '*' | '_' | '`' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\r' | '\n' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A code span that a backtick or pipe inside cannot break.
fn code(text: &str) -> String {
    let cleaned: String =
        text.chars().map(|c| if matches!(c, '`' | '\n' | '\r') { ' ' } else { c }).collect();
    format!("`{}`", cleaned.replace('|', "\\|"))
}
