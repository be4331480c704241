//! Every kind of mistake in a policy file is refused with its line and
//! column and a message that says what is wrong.

use super::error;

/// (kind of mistake, file, line, column, the message or a part of it)
type Row = (&'static str, &'static str, usize, usize, &'static str);

const TABLE: &[Row] = &[
    ("TOML syntax", "[sla]\ncalendar = \"business\n", 2, 21, "invalid basic string"),
    (
        "unknown key at the top",
        "[sla]\n\n[escalation]\nafter = 3\n",
        3,
        2,
        "unknown field `escalation`",
    ),
    (
        "unknown key in a rule",
        "[[priority.rule]]\nwhen = { kev = true }\nat_least = \"high\"\nnotify = true\n",
        4,
        1,
        "unknown field `notify`",
    ),
    (
        "unknown condition",
        "[[priority.rule]]\nwhen = { cvss = 9 }\nraise = 1\n",
        2,
        10,
        "unknown field `cvss`",
    ),
    ("wrong type", "[sla]\ntime_zone = 1\n", 2, 13, "invalid type: integer `1`, expected a string"),
    (
        "unknown ticket type in a route",
        "[[route]]\ntype = [\"incident\", \"bug\"]\nteam = \"sre\"\n",
        2,
        21,
        "unknown ticket type \"bug\": expected one of vulnerability, incident, request, task",
    ),
    (
        "unknown ticket type in a rule",
        "[[priority.rule]]\nwhen = { type = [\"Chore\"] }\nlower = 1\n",
        2,
        18,
        "unknown ticket type \"Chore\"",
    ),
    (
        "wrong type in a list",
        "[[route]]\ncwe = [\"79\"]\nteam = \"web\"\n",
        2,
        8,
        "invalid type: string \"79\", expected i64",
    ),
    (
        "unknown priority in an action",
        "# rules\n\n[[priority.rule]]\nwhen = { kev = true }\nset = \"urgent\"\n",
        5,
        7,
        "unknown priority \"urgent\"; expected critical, high, medium or low",
    ),
    (
        "unknown priority in sla.days",
        "[sla.days]\nhigh = 30\nurgent = 1\n",
        3,
        1,
        "unknown priority \"urgent\"",
    ),
    (
        "unknown priority in the base",
        "[priority.base]\ninfo = \"none\"\n",
        2,
        8,
        "unknown priority \"none\"",
    ),
    (
        "unknown severity in the base",
        "[priority.base]\nsevere = \"high\"\n",
        2,
        1,
        "unknown severity \"severe\"; expected critical, high, medium, low or info",
    ),
    (
        "unknown severity in a condition",
        "[[priority.rule]]\nwhen = { severity = [\"high\", \"urgent\"] }\nraise = 1\n",
        2,
        30,
        "unknown severity \"urgent\"",
    ),
    (
        "unknown kind",
        "[[priority.rule]]\nwhen = { kind = [\"sast\"] }\nraise = 1\n",
        2,
        18,
        "unknown kind \"sast\"; expected sca, code, secrets or dast",
    ),
    (
        "unknown kind in a route",
        "[[route]]\nkind = [\"iac\"]\nteam = \"x\"\n",
        2,
        9,
        "unknown kind \"iac\"",
    ),
    (
        "tier out of range in an application",
        "[applications.\"shop\"]\ntier = 5\n",
        2,
        8,
        "tier 5 is out of range; expected 1 (most critical) to 4",
    ),
    (
        "tier out of range in a condition",
        "[[priority.rule]]\nwhen = { tier = [0] }\nlower = 1\n",
        2,
        18,
        "tier 0 is out of range",
    ),
    (
        "days of 0",
        "[sla.days]\ncritical = 0\n",
        2,
        12,
        "sla.days.critical = 0: an SLA needs at least one day; expected 1 to 3650 days",
    ),
    ("days too many", "[sla.days]\nlow = 4000\n", 2, 7, "sla.days.low = 4000"),
    (
        "negative warning",
        "[sla.due_soon]\nhigh = -1\n",
        2,
        8,
        "sla.due_soon.high = -1: out of range; expected 0 to 3650 days",
    ),
    (
        "unknown calendar",
        "[sla]\ncalendar = \"lunar\"\n",
        2,
        12,
        "unknown calendar \"lunar\"; expected \"calendar\" or \"business\"",
    ),
    (
        "bad time zone",
        "[sla]\ntime_zone = \"Mars/Olympus\"\n",
        2,
        13,
        "unknown time zone \"Mars/Olympus\"; expected an IANA name",
    ),
    (
        "unknown weekday",
        "[sla]\nweekend = [\"saturday\", \"sundae\"]\n",
        2,
        24,
        "unknown day \"sundae\"",
    ),
    (
        "no business day left",
        "[sla]\nweekend = [\"monday\", \"tuesday\", \"wednesday\", \"thursday\", \"friday\", \"saturday\", \"sunday\"]\n",
        2,
        11,
        "every day of the week is a weekend day",
    ),
    (
        "bad date",
        "[sla]\nholidays = [\"2026-12-25\", \"2026-13-01\"]\n",
        2,
        27,
        "bad date \"2026-13-01\"; expected a date such as \"2026-12-25\"",
    ),
    (
        "a date with a time",
        "[sla]\nholidays = [2026-12-25T10:00:00]\n",
        2,
        13,
        "bad date 2026-12-25T10:00:00",
    ),
    (
        "EPSS out of range",
        "[[priority.rule]]\nwhen = { epss_at_least = 1.5 }\nraise = 1\n",
        2,
        26,
        "EPSS 1.5 is out of range",
    ),
    (
        "EPSS band empty",
        "[[priority.rule]]\nwhen = { epss_at_least = 0.5, epss_below = 0.2 }\nraise = 1\n",
        2,
        44,
        "epss_below = 0.2 is not above epss_at_least = 0.5",
    ),
    (
        "two actions",
        "[[priority.rule]]\nwhen = { kev = true }\nraise = 1\nat_least = \"high\"\n",
        1,
        1,
        "a priority rule has one action, this one has raise 1, at least high",
    ),
    (
        "no action",
        "\n[[priority.rule]]\nwhen = { kev = true }\n",
        2,
        1,
        "a priority rule needs one action",
    ),
    (
        "raise out of range",
        "[[priority.rule]]\nraise = 0\n",
        2,
        9,
        "raise = 0 is out of range: expected 1, 2 or 3 steps",
    ),
    (
        "empty condition list",
        "[[priority.rule]]\nwhen = { application = [] }\nraise = 1\n",
        2,
        24,
        "`application` is an empty list, which matches nothing",
    ),
    ("a route without a team", "[[route]]\npath = [\"web/\"]\n", 1, 1, "a route needs a `team`"),
    (
        "bad glob",
        "[[route]]\npath = [\"src/{a,b\"]\nteam = \"x\"\n",
        2,
        9,
        "path pattern \"src/{a,b\": unclosed alternate group",
    ),
    (
        "negated glob",
        "[[route]]\npath = [\"!docs/\"]\nteam = \"x\"\n",
        2,
        9,
        "a route cannot exclude paths",
    ),
    (
        "bad ecosystem",
        "[[route]]\necosystem = [\"npm js\"]\nteam = \"x\"\n",
        2,
        14,
        "\"npm js\" is not an ecosystem",
    ),
    ("bad CWE", "[[route]]\ncwe = [79, -1]\nteam = \"x\"\n", 2, 12, "CWE -1 is not a CWE number"),
    ("unknown ticket type", "[workflow.bug]\n", 1, 11, "unknown ticket type \"bug\""),
    (
        "unknown role",
        "[[workflow.vulnerability.transition]]\nfrom = \"*\"\nto = \"risk_accepted\"\nroles = [\"ciso\"]\n",
        4,
        10,
        "unknown role \"ciso\": expected one of administrator, security, developer, viewer, scanner",
    ),
    (
        "unknown field",
        "[[workflow.vulnerability.transition]]\nfrom = \"*\"\nto = \"risk_accepted\"\nrequires = [\"ticket\"]\n",
        4,
        13,
        "unknown field \"ticket\"; expected owner, assignee, due_at, reason, approver, expires_at, duplicate_of",
    ),
    (
        "unknown built-in state",
        "[[workflow.vulnerability.transition]]\nfrom = [\"open\"]\nto = \"closed\"\nroles = [\"security\"]\n",
        2,
        8,
        "transition from state \"open\" is not declared; the vulnerability workflow's states are new, triaged",
    ),
    (
        "a move the built-in workflow lacks",
        "[[workflow.vulnerability.transition]]\nfrom = [\"fixed\"]\nto = \"verified\"\nroles = [\"security\"]\n",
        1,
        1,
        "the built-in vulnerability workflow has no move from fixed to verified",
    ),
    (
        "an override that changes nothing",
        "[[workflow.task.transition]]\nfrom = \"*\"\nto = \"closed\"\n",
        1,
        1,
        "sets neither `roles` nor `requires`",
    ),
    (
        "custom states for vulnerabilities",
        "[workflow.vulnerability]\n\n[[workflow.vulnerability.state]]\nname = \"open\"\nmeans = \"new\"\n",
        3,
        1,
        "the vulnerability workflow's states are fixed, because scans move vulnerabilities through them",
    ),
    (
        "an initial state for vulnerabilities",
        "[workflow.vulnerability]\ninitial = \"open\"\n",
        2,
        11,
        "the vulnerability workflow's states are fixed",
    ),
    (
        "unknown meaning",
        "[[workflow.incident.state]]\nname = \"open\"\nmeans = \"risk_accepted\"\n",
        3,
        9,
        "unknown meaning \"risk_accepted\"; expected new, triaged, in_progress, fixed, verified, closed, waiting_on_vendor",
    ),
    (
        "a state without a meaning",
        "[[workflow.incident.state]]\nname = \"open\"\n",
        1,
        1,
        "state \"open\" needs `means`",
    ),
    (
        "a bad state name",
        "[[workflow.incident.state]]\nname = \"Open Now\"\nmeans = \"new\"\n",
        2,
        8,
        "state name \"Open Now\": use lowercase letters",
    ),
    (
        "duplicate state names",
        "[[workflow.incident.state]]\nname = \"open\"\nmeans = \"new\"\n\n[[workflow.incident.state]]\nname = \"open\"\nmeans = \"triaged\"\n",
        5,
        1,
        "duplicate state \"open\": it is already declared on line 1",
    ),
    (
        "a transition to an undeclared state",
        "[[workflow.incident.state]]\nname = \"open\"\nmeans = \"new\"\n\n[[workflow.incident.transition]]\nfrom = \"open\"\nto = \"resolved\"\n",
        7,
        6,
        "transition to state \"resolved\" is not declared; the incident workflow's states are open",
    ),
    (
        "an undeclared initial state",
        "[workflow.request]\ninitial = \"draft\"\n\n[[workflow.request.state]]\nname = \"open\"\nmeans = \"new\"\n",
        2,
        11,
        "initial state \"draft\" is not declared",
    ),
    (
        "a bad from",
        "[[workflow.incident.state]]\nname = \"open\"\nmeans = \"new\"\n\n[[workflow.incident.transition]]\nfrom = 3\nto = \"open\"\n",
        6,
        8,
        "`from` is \"*\", a state's name or a list of names",
    ),
];

#[test]
fn every_mistake_names_its_line_and_column() {
    let mut wrong = Vec::new();
    for (what, text, line, column, message) in TABLE {
        let err = error(text);
        if !err.message.contains(message) || (err.line, err.column) != (*line, *column) {
            wrong.push(format!("{what}: expected {line}:{column} {message:?}, got {err}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_message_reads_with_its_place() {
    let err = error("# rules\n\n[[priority.rule]]\nwhen = { kev = true }\nset = \"urgent\"\n");
    assert_eq!(
        err.to_string(),
        "line 5, column 7: unknown priority \"urgent\"; expected critical, high, medium or low"
    );
}

#[test]
fn columns_count_characters_not_bytes() {
    let err =
        error("[[priority.rule]]\nwhen = { application = [\"münchen\"], tier = [9] }\nraise = 1\n");
    assert_eq!((err.line, err.column), (2, 45), "{err}");
    let err = error("[sla]\n# ünïcödé\nweekend = [\"ünday\"]\n");
    assert_eq!((err.line, err.column), (3, 12), "{err}");
}
