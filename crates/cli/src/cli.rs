//! The command line, as clap reads it. Every option that configures the
//! server also reads a `FIXGATE_` environment variable.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use fixgate_service::gate::FailOn;

/// fixgate: scanners' reports in, tickets developers own out.
#[derive(Debug, Parser)]
#[command(name = "fixgate", version, about)]
pub struct Cli {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Log filter, e.g. `info` or `fixgate=debug` (default: info for the
    /// server, warn for one-shot commands).
    #[arg(long, global = true, env = "FIXGATE_LOG")]
    pub log: Option<String>,
    /// Write logs as JSON lines instead of text.
    #[arg(long, global = true, env = "FIXGATE_LOG_JSON")]
    pub log_json: bool,
    #[command(subcommand)]
    pub command: Command,
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Folder of the embedded SQLite store (used unless --database-url is given).
    #[arg(long, global = true, env = "FIXGATE_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Database URL: postgres://user@host/db for PostgreSQL, sqlite://file for SQLite.
    #[arg(long, global = true, env = "FIXGATE_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server on an existing or empty store.
    Serve(ServeArgs),
    /// Run the server on a fresh demo store with the example reports imported.
    Demo(ServeArgs),
    /// Import a scanner's report.
    Import(ImportArgs),
    /// The CI gate: compare a report with what fixgate tracks and fail on new findings.
    ///
    /// Sorts the report's findings into new (not tracked as open: never seen, seen only
    /// on untracked branches, or a closed ticket's problem back again), still open,
    /// fixed by this change (tracked on the repository's tracked branches for the
    /// report's tools, but no longer in the report) and suppressed (by the report, a
    /// false positive, a risk accepted until a future date, a duplicate). Stores
    /// nothing.
    ///
    /// What fixgate tracks comes from --server (the API's /api/v1/check), or from
    /// --baseline (an earlier report, offline), or else from the local store.
    ///
    /// Exit codes: 0 the check passed; 1 the policy failed (a new finding at or above
    /// --fail-on); 2 error (unreadable report, unreachable server, bad arguments).
    #[command(verbatim_doc_comment)]
    Check(CheckArgs),
    /// Print the findings fixgate reads from a report, without storing anything.
    Parse(ParseArgs),
    /// List or show tickets.
    Tickets(TicketsArgs),
    /// Write the decisions in force (false positives, accepted risks) as a
    /// file scanners read: vex, openvex, trivyignore or gitleaksignore.
    Export(ExportArgs),
    /// Show or change the import policy: tracked branches and grouping.
    Policy(PolicyArgs),
    /// Measure parsing and importing a large SARIF report, or (--web) the figures and
    /// the ticket list on a seeded store.
    Bench(BenchArgs),
    /// Fill a store with a made-up installation and years of history: teams,
    /// applications, weekly scans and security tickets with every event of their
    /// lives, for trying fixgate at scale and measuring it (`fixgate bench --web`).
    Seed(SeedArgs),
    /// People, teams, applications' owners and API tokens, on the local store.
    Admin(AdminArgs),
    /// Store a repository's CODEOWNERS file, or ask who owns a path.
    Codeowners(CodeownersArgs),
    /// Load the exploit signals you downloaded (CISA's KEV catalogue, FIRST's EPSS
    /// scores), or show what is loaded. fixgate fetches nothing itself.
    Exploits(ExploitsArgs),
    /// Notification channels (signed webhooks, Slack, Microsoft Teams, email) and
    /// their queue, on the local store (see docs/notifications.md).
    Notify(NotifyArgs),
    /// fixgate's figures (KPIs) on the local store, and the facts they are computed
    /// from (see docs/metrics.md).
    Report(ReportArgs),
    /// The event log's hash chain: print its head, or check every event on it (see
    /// docs/audit.md).
    ///
    /// Exit codes: 0 the chain holds; 1 it is broken (the first bad event is named);
    /// 2 error (unreadable store, a malformed --pin).
    #[command(verbatim_doc_comment)]
    Audit(AuditArgs),
}

#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum AuditCommand {
    /// Print the chain's head (SEQ:HASH): note it somewhere the store's administrators
    /// cannot write, and pass it to `audit verify --pin` later.
    Head {
        /// Print the head as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Recompute every event's hash, in chain order, and check the head.
    Verify {
        /// A head noted earlier, SEQ:HASH: its event must still be on the chain with
        /// that hash, so a chain rewritten or cut since is caught.
        #[arg(long, value_name = "SEQ:HASH")]
        pin: Option<String>,
        /// Print the outcome as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    #[command(subcommand)]
    pub command: ReportCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ReportCommand {
    /// Time to triage and to remediate, closings, SLA adherence, the reopen rate, the
    /// open backlog (now, by age, by day), opened against verified by week, top CWEs,
    /// rules and repositories, and how recently each repository and tool was scanned.
    /// Days, weeks and months follow the triage policy's time zone.
    Kpis {
        /// The window's first day, YYYY-MM-DD (default: 89 days before --until).
        #[arg(long, value_name = "DATE")]
        since: Option<jiff::civil::Date>,
        /// The window's last day, included (default: today).
        #[arg(long, value_name = "DATE")]
        until: Option<jiff::civil::Date>,
        /// Also give each figure by team, app, severity, tool or priority.
        #[arg(long, value_name = "GROUP")]
        by: Option<fixgate_store::KpiGroup>,
        /// Cut trends by week (from Monday) or month.
        #[arg(long, default_value = "week")]
        period: fixgate_service::report::Period,
        /// A repository and tool not completely scanned for more days than this is stale.
        #[arg(long, default_value_t = fixgate_service::report::DEFAULT_STALE_DAYS)]
        stale_days: u32,
        /// Only the tickets this team owns.
        #[arg(long)]
        team: Option<String>,
        /// Only this application's tickets.
        #[arg(long)]
        app: Option<String>,
        /// Only tickets of this severity (critical, high, medium, low, info).
        #[arg(long)]
        severity: Option<fixgate_domain::Severity>,
        /// Print the figures as JSON.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// Print the figures as CSV, one figure per row: figure,group,period,value.
        #[arg(long)]
        csv: bool,
    },
    /// The evidence pack for auditors: every security ticket open at some moment of the
    /// window, with its SLA, pauses, reopenings and how it ended with the proof (the
    /// verifying scan, the risk acceptance, who closed it and why), under a summary.
    /// Days follow the triage policy's time zone; docs/audit.md names every field.
    Evidence {
        /// The window's first day, YYYY-MM-DD (default: 89 days before --until).
        #[arg(long, value_name = "DATE")]
        since: Option<jiff::civil::Date>,
        /// The window's last day, included (default: today).
        #[arg(long, value_name = "DATE")]
        until: Option<jiff::civil::Date>,
        /// Only this application.
        #[arg(long, value_name = "NAME")]
        app: Option<String>,
        /// Only the tickets this team owns.
        #[arg(long, value_name = "NAME")]
        team: Option<String>,
        /// Only this repository.
        #[arg(long, value_name = "URL")]
        repo: Option<String>,
        /// json, csv (one row per ticket) or html (a printable page).
        #[arg(long, default_value = "json", value_parser = parse_evidence_format)]
        format: fixgate_http::EvidenceFormat,
        /// Write the pack to this file; `-` (the default) is standard output.
        #[arg(long, value_name = "FILE", default_value = "-")]
        out: std::path::PathBuf,
    },
    /// Recompute the figures' facts from the whole event log, in one transaction
    /// (after an upgrade; writers wait meanwhile).
    Rebuild,
}

#[derive(Debug, Clone, Args)]
pub struct ExploitsArgs {
    #[command(subcommand)]
    pub command: ExploitsCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ExploitsCommand {
    /// Replace the loaded KEV catalogue, EPSS scores or both with these files (plain
    /// or gzip-compressed). Each file is checked whole first; given both, neither is
    /// stored unless both read.
    Load {
        /// CISA's known_exploited_vulnerabilities.json, from
        /// https://www.cisa.gov/known-exploited-vulnerabilities-catalog
        #[arg(long, value_name = "FILE", required_unless_present = "epss")]
        kev: Option<PathBuf>,
        /// FIRST's epss_scores-YYYY-MM-DD.csv(.gz), from https://www.first.org/epss/data_stats
        #[arg(long, value_name = "FILE")]
        epss: Option<PathBuf>,
        /// Print `{"kev": …, "epss": …}` instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show what is loaded: entries, the files' versions and dates, who loaded them
    /// and when.
    Status {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct NotifyArgs {
    #[command(flatten)]
    pub settings: NotifySettingsArgs,
    #[command(subcommand)]
    pub command: NotifyCommand,
}

/// How notifications reach people; `fixgate serve` and `fixgate notify` read
/// the same options.
#[derive(Debug, Clone, Args)]
pub struct NotifySettingsArgs {
    /// The SMTP server email channels send through: smtp://HOST:25 (no TLS: a
    /// local relay only), smtp://HOST:587?tls=required (STARTTLS) or
    /// smtps://USER:PASSWORD@HOST (TLS, port 465).
    #[arg(long, env = "FIXGATE_SMTP_URL", hide_env_values = true, requires = "smtp_from")]
    pub smtp_url: Option<String>,
    /// The address email comes from: fixgate@example.com or "fixgate <fixgate@example.com>".
    #[arg(long, env = "FIXGATE_SMTP_FROM")]
    pub smtp_from: Option<String>,
    /// fixgate's address as people open it, e.g. https://fixgate.example.com: messages
    /// link to tickets there.
    #[arg(long, env = "FIXGATE_PUBLIC_URL")]
    pub public_url: Option<String>,
}

#[derive(Debug, Clone, Subcommand)]
pub enum NotifyCommand {
    /// Create a channel. A webhook channel's secret, which its deliveries are signed
    /// with, is printed once: give it to the receiver now.
    AddChannel {
        /// The channel's name: letters, digits, '.', '_' or '-'.
        name: String,
        /// webhook (fixgate's signed JSON), slack, teams or email.
        #[arg(long)]
        kind: String,
        /// The webhook's URL, or for email the addresses, separated by commas.
        #[arg(long)]
        target: String,
        /// Only this team's notices.
        #[arg(long)]
        team: Option<String>,
        /// Only these kinds of notice, separated by commas: tickets_opened, assigned,
        /// due_soon, breached, acceptance_requested, acceptance_decided,
        /// acceptance_expired, reopened, rerouted (default: every kind).
        #[arg(long, value_delimiter = ',')]
        events: Vec<String>,
        /// none (each notice at once), daily (09:00 UTC), daily@HH (HH:00 UTC) or
        /// 'daily@HH[Area/City]' (HH:00 in that time zone): one message a day.
        #[arg(long, default_value = "none")]
        digest: String,
        /// Print `{"channel": …, "secret": …}` instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List the channels in use (URLs shown up to their host: the rest may be a
    /// credential).
    Channels {
        #[arg(long)]
        json: bool,
    },
    /// Remove a channel: it gets nothing more, and what is queued for it is given up.
    RemoveChannel { name: String },
    /// Send a test notice to a channel now, whatever its filters and digest, and say
    /// whether the receiver took it (exit code 2 if not).
    Test { name: String },
    /// The queue, newest first: notices pending, retrying and given up, with their
    /// last error.
    Queue {
        /// Delivered notices too.
        #[arg(long)]
        all: bool,
        /// Only this channel's.
        #[arg(long)]
        channel: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long)]
        json: bool,
    },
    /// Run one delivery round: send what is due, schedule retries (for cron, when no
    /// `fixgate serve` runs).
    Deliver {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct CodeownersArgs {
    #[command(subcommand)]
    pub command: CodeownersCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum CodeownersCommand {
    /// Store FILE (GitHub's or GitLab's syntax) as the repository's CODEOWNERS; every
    /// line is checked first, and the first that cannot be read is named.
    /// Storing it moves the repository's open tickets to the teams it now gives
    /// them (not those whose owner a person set), and says how many moved.
    Set {
        #[arg(long = "repo")]
        repository: String,
        file: PathBuf,
        /// Check FILE and say how many open tickets would move, and to whom;
        /// store nothing.
        #[arg(long)]
        dry_run: bool,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print who owns PATH, and the rule that says so.
    Show {
        #[arg(long = "repo")]
        repository: String,
        path: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    pub command: AdminCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum AdminCommand {
    /// Create a person who signs in with a password.
    ///
    /// Without --password-stdin, fixgate makes a random password, prints it
    /// once, and asks for a new one at the first sign-in.
    CreateUser {
        name: String,
        /// administrator, security, developer, viewer or scanner.
        #[arg(long)]
        role: String,
        /// A team to join (created when missing); repeat for several.
        #[arg(long = "team")]
        teams: Vec<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        json: bool,
    },
    /// Set a person's password (from the first line of standard input, or
    /// a random one printed once that must be changed at the next sign-in).
    SetPassword {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change a person's or service account's role; tokens above it stop working.
    SetRole {
        name: String,
        #[arg(long)]
        role: String,
    },
    /// Disable a person or service account: sessions end, tokens stop working.
    DisableUser { name: String },
    /// Enable a disabled person or service account again.
    EnableUser { name: String },
    /// Create an API token for a person or a service account, printed once.
    CreateToken {
        /// The person the token acts as.
        #[arg(long, conflicts_with = "service", required_unless_present = "service")]
        user: Option<String>,
        /// The service account the token acts as (created on its first token).
        #[arg(long)]
        service: Option<String>,
        /// administrator, security, developer, viewer or scanner; never more than the
        /// holder's own role.
        #[arg(long)]
        role: String,
        /// Limit the token to one application.
        #[arg(long = "app")]
        application: Option<String>,
        /// When the token stops working: a date (2027-01-31, at 00:00 UTC) or an
        /// RFC 3339 time.
        #[arg(long)]
        expires: Option<String>,
        /// Teams a service account joins.
        #[arg(long = "team")]
        teams: Vec<String>,
        /// Print `{"token": …}` and the token's details as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the API tokens (never their values).
    Tokens {
        #[arg(long)]
        json: bool,
    },
    /// Revoke an API token by its id.
    RevokeToken { id: i64 },
    /// List people and service accounts with their roles and teams.
    Users {
        #[arg(long)]
        json: bool,
    },
    /// Add a person or service account to a team (created when missing).
    AddMember {
        #[arg(long)]
        team: String,
        #[arg(long)]
        user: String,
    },
    /// Make a team an owner of an application: its members see the application's tickets.
    AddOwner {
        #[arg(long = "app")]
        application: String,
        #[arg(long)]
        team: String,
    },
    /// Create an inbound webhook, served at POST /api/v1/hooks/NAME, and print its
    /// secret once: give it to the sender now (see docs/webhooks.md).
    CreateHook {
        /// The hook's name: letters, digits, '.', '_' or '-'.
        name: String,
        /// Print `{"secret": …}` instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct PolicyArgs {
    #[command(subcommand)]
    pub command: PolicyCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum PolicyCommand {
    /// Print every setting with its value in force.
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Change one setting, e.g. `tracked_branches 'release/*'` or
    /// `grouping.code rule:20`.
    Set { key: String, value: String },
    /// Restore a setting's default.
    Reset { key: String },
    /// Check FILE as a triage policy (priority rules, SLA days, routes, workflows;
    /// see docs/triage-policy.md) and, when every line reads, make it the policy in
    /// force, moving open tickets to the teams its routes now give them. A mistake
    /// is named by line and column, and nothing changes.
    Load {
        file: PathBuf,
        /// Only check the file, and say how many open tickets would move.
        #[arg(long)]
        check: bool,
    },
    /// Print the triage policy file in force (the default one when none was loaded).
    File,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "FIXGATE_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Count the client address from the last `X-Forwarded-For` entry: only behind a
    /// reverse proxy that sets it.
    #[arg(long, env = "FIXGATE_TRUST_FORWARDED")]
    pub trust_forwarded: bool,
    /// Sign-in attempts allowed per client address per minute.
    #[arg(long, env = "FIXGATE_SIGN_INS_PER_MINUTE", default_value_t = 10)]
    pub sign_ins_per_minute: u32,
    /// Uploads and checks allowed per token per minute (four times as many per address).
    #[arg(long, env = "FIXGATE_UPLOADS_PER_MINUTE", default_value_t = 120)]
    pub uploads_per_minute: u32,
    /// Largest report upload accepted, in megabytes.
    #[arg(long, env = "FIXGATE_MAX_UPLOAD_MB", default_value_t = 1024)]
    pub max_upload_mb: u64,
    /// Serve HTTPS with this certificate chain: a PEM file, the server's own
    /// certificate first. Needs --tls-key.
    #[arg(long, env = "FIXGATE_TLS_CERT", value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's private key: a PEM file in PKCS#8, PKCS#1 or SEC1,
    /// not encrypted. Needs --tls-cert.
    #[arg(long, env = "FIXGATE_TLS_KEY", value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Seconds between two runs of the background jobs (delivering notifications).
    #[arg(long, env = "FIXGATE_BACKGROUND_EVERY", default_value_t = 15,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub background_every: u64,
    #[command(flatten)]
    pub notify: NotifySettingsArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ImportArgs {
    /// The report file (`-` reads standard input).
    pub report: PathBuf,
    /// Application the scan belongs to (default: the repository's name).
    #[arg(long = "app")]
    pub application: Option<String>,
    /// Repository URL (default: the report's versionControlProvenance).
    #[arg(long = "repo")]
    pub repository: Option<String>,
    /// Branch scanned (default: from the report, else `main`).
    #[arg(long)]
    pub branch: Option<String>,
    /// Commit scanned (default: from the report).
    #[arg(long)]
    pub commit: Option<String>,
    /// Environment, e.g. prod.
    #[arg(long = "env")]
    pub environment: Option<String>,
    /// Category of the scan within its tool (default: SARIF automationDetails.id).
    #[arg(long)]
    pub category: Option<String>,
    /// Report format; detected from the content when not given.
    #[arg(long)]
    pub format: Option<String>,
    /// The scan covered only some paths or rules: it closes no ticket.
    #[arg(long)]
    pub partial: bool,
    /// The repository's default branch, whose scans open and close tickets
    /// (remembered; default: main or master). Other branches only feed the
    /// gate, unless the policy tracks them.
    #[arg(long)]
    pub default_branch: Option<String>,
    /// Import through this server's API instead of into the local store.
    #[arg(long, env = "FIXGATE_SERVER")]
    pub server: Option<String>,
    /// The server's API token.
    #[arg(long, env = "FIXGATE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// The report of the change (`-` reads standard input).
    pub report: PathBuf,
    /// URL of the repository the findings are tracked for, as imports name it
    /// (default: the report's versionControlProvenance).
    #[arg(long = "repo")]
    pub repository: Option<String>,
    /// Branch of the change, shown in the summary (default: from the report).
    #[arg(long)]
    pub branch: Option<String>,
    /// Compare with this application's findings only (default: every application
    /// of the repository).
    #[arg(long = "app")]
    pub application: Option<String>,
    /// Report format; detected from the content when not given.
    #[arg(long)]
    pub format: Option<String>,
    /// Ask this fixgate server (POST /api/v1/check) instead of the local store.
    #[arg(long, env = "FIXGATE_SERVER", conflicts_with = "baseline")]
    pub server: Option<String>,
    /// The server's API token.
    #[arg(long, env = "FIXGATE_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// Compare with this earlier report instead: each of its findings counts as
    /// tracked and open. Offline; no decisions apply.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Fail on new findings of this severity or above: critical, high, medium, low,
    /// or none (never fail).
    #[arg(long, default_value = "high")]
    pub fail_on: FailOn,
    /// Also write the summary as Markdown for a pull request comment.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Also write the findings as SARIF 2.1.0 with baselineState and suppressions.
    #[arg(long, value_name = "FILE")]
    pub sarif_out: Option<PathBuf>,
    /// Print the classification as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ParseArgs {
    /// The report file (`-` reads standard input).
    #[arg(required_unless_present = "list_formats")]
    pub report: Option<PathBuf>,
    /// Print the formats fixgate reads, one a line: name, a tab, what it is.
    #[arg(long, conflicts_with_all = ["format", "json"])]
    pub list_formats: bool,
    /// Report format; detected from the content when not given.
    #[arg(long)]
    pub format: Option<String>,
    /// Print `{"format": …, "findings": […]}` instead of one line a finding.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct TicketsArgs {
    #[command(subcommand)]
    pub command: TicketsCommand,
}

#[derive(Debug, Clone, Subcommand)]
pub enum TicketsCommand {
    /// List tickets, most severe first.
    List(Box<ListArgs>),
    /// Open a ticket by hand. What you leave out of owner, priority and due date
    /// the triage policy decides, as for a scan's tickets (docs/triage-policy.md).
    Create(Box<CreateArgs>),
    /// Show one ticket with its findings and history.
    Show {
        key: String,
        #[arg(long)]
        json: bool,
    },
    /// Assign a ticket to a person who works on tickets and sees it, or to nobody.
    Assign(AssignArgs),
    /// Move a ticket along its type's workflow: the triage policy's, else the
    /// built-in one.
    ///
    /// STATE is a state of the policy's workflow for the ticket's type
    /// (`investigating`) or a built-in one (`triaged`). The command line acts as
    /// an administrator: the workflow's roles do not bind it, its required
    /// fields do.
    Move(Box<MoveArgs>),
    /// Change every ticket the filters match (at most 10,000) in one go.
    ///
    /// Each ticket goes through the checks one change of its kind goes through; a
    /// ticket the workflow refuses, or that the change would leave as it is, is
    /// skipped and listed with the reason. --dry-run checks without changing
    /// anything.
    Bulk(Box<BulkArgs>),
}

/// `fixgate tickets create --type incident --title "Checkout down" --app shop`.
#[derive(Debug, Clone, Args)]
pub struct CreateArgs {
    /// vulnerability, incident, request or task.
    #[arg(long = "type")]
    pub ticket_type: String,
    #[arg(long)]
    pub title: String,
    #[arg(long, default_value = "")]
    pub description: String,
    /// critical, high, medium, low or info.
    #[arg(long, default_value = "medium")]
    pub severity: String,
    #[arg(long = "app")]
    pub application: Option<String>,
    /// The repository's URL (needs --app).
    #[arg(long = "repo")]
    pub repository: Option<String>,
    /// The file it is about, relative to the repository's root; the
    /// repository's CODEOWNERS then helps find its owner.
    #[arg(long)]
    pub path: Option<String>,
    /// The owning team; without it, the triage policy routes the ticket.
    #[arg(long)]
    pub owner: Option<String>,
    /// critical, high, medium or low; without it, the policy sets it from the severity.
    #[arg(long)]
    pub priority: Option<String>,
    /// A date (2027-01-31, from 00:00 UTC) or an RFC 3339 time; without it, the
    /// SLA of the priority sets it.
    #[arg(long)]
    pub due: Option<String>,
    /// Print the ticket as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `fixgate tickets move KEY STATE`.
#[derive(Debug, Clone, Args)]
pub struct MoveArgs {
    pub key: String,
    pub state: String,
    /// Why: what false positive, closed, reopened and waiting states need,
    /// and what a workflow's transition may require.
    #[arg(long)]
    pub reason: Option<String>,
    /// The owning team, which a move to triaged needs.
    #[arg(long)]
    pub owner: Option<String>,
    /// The due date, 2027-01-31 or an RFC 3339 time, which a move to triaged needs.
    #[arg(long)]
    pub due: Option<String>,
    /// The key of the ticket kept, which a move to duplicate needs.
    #[arg(long)]
    pub duplicate_of: Option<String>,
    #[arg(long)]
    pub json: bool,
}

/// `fixgate tickets assign KEY NAME|--none`.
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("whom").required(true).args(["name", "none"])))]
pub struct AssignArgs {
    pub key: String,
    /// The person's name.
    pub name: Option<String>,
    /// Assign the ticket to nobody.
    #[arg(long)]
    pub none: bool,
}

/// `fixgate tickets bulk`: which tickets, and what to change on each.
#[derive(Debug, Clone, Args)]
pub struct BulkArgs {
    /// Only tickets in these states, comma-separated (the list's --state).
    #[arg(long)]
    pub in_state: Option<String>,
    /// Severities, comma-separated.
    #[arg(long)]
    pub severity: Option<String>,
    #[arg(long = "type")]
    pub ticket_type: Option<String>,
    #[arg(long = "app")]
    pub application: Option<String>,
    #[arg(long = "repo")]
    pub repository: Option<String>,
    #[arg(long)]
    pub tool: Option<String>,
    /// A CWE id: 79 or CWE-79.
    #[arg(long)]
    pub cwe: Option<String>,
    /// Free text matched against key, title, rule, path and advisory ids.
    #[arg(long = "text", short = 'q')]
    pub text: Option<String>,
    /// yes: still seen by the latest scan; no: no longer seen.
    #[arg(long)]
    pub seen: Option<String>,
    /// Only tickets owned by this team.
    #[arg(long = "owned-by")]
    pub owned_by: Option<String>,
    /// Priorities, comma-separated (critical, high, medium, low).
    #[arg(long)]
    pub priority: Option<String>,
    /// Open tickets on_track, due_soon, breached or paused.
    #[arg(long)]
    pub sla: Option<String>,
    /// Only tickets assigned to this person (`none`: to nobody).
    #[arg(long)]
    pub assignee: Option<String>,
    /// Only tickets with one of these labels, comma-separated (the list's --label).
    #[arg(long)]
    pub with_label: Option<String>,
    /// Every ticket: needed when no filter is given, so that a forgotten filter does not
    /// change every ticket.
    #[arg(long)]
    pub all: bool,
    /// Move each ticket to this state.
    #[arg(long)]
    pub state: Option<String>,
    /// What the move needs: a reason (false positive, risk accepted, reopened, closed).
    #[arg(long)]
    pub reason: Option<String>,
    /// What a move to triaged needs: the owner.
    #[arg(long)]
    pub owner: Option<String>,
    /// What a move to triaged needs: a due date, 2027-01-31 or an RFC 3339 time.
    #[arg(long)]
    pub due: Option<String>,
    /// What a risk acceptance needs: who approved it.
    #[arg(long)]
    pub approver: Option<String>,
    /// What a risk acceptance needs: when it expires, 2027-01-31 or an RFC 3339 time.
    #[arg(long)]
    pub expires: Option<String>,
    /// What a move to duplicate needs: the key of the ticket kept.
    #[arg(long)]
    pub duplicate_of: Option<String>,
    /// Assign each ticket to this person.
    #[arg(long, conflicts_with = "unassign")]
    pub assign: Option<String>,
    /// Assign each ticket to nobody.
    #[arg(long)]
    pub unassign: bool,
    /// Add this label; repeat for several.
    #[arg(long = "label")]
    pub add_labels: Vec<String>,
    /// Remove this label; repeat for several.
    #[arg(long = "unlabel")]
    pub remove_labels: Vec<String>,
    /// Add this comment to each ticket.
    #[arg(long)]
    pub comment: Option<String>,
    /// Check everything and say what would change, changing nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    #[arg(long, default_value_t = 50)]
    pub limit: u32,
    #[arg(long, default_value_t = 1)]
    pub page: u32,
    /// States, comma-separated (new, triaged, in_progress, fixed, verified, …).
    #[arg(long)]
    pub state: Option<String>,
    /// Severities, comma-separated.
    #[arg(long)]
    pub severity: Option<String>,
    #[arg(long = "type")]
    pub ticket_type: Option<String>,
    #[arg(long = "app")]
    pub application: Option<String>,
    #[arg(long = "repo")]
    pub repository: Option<String>,
    #[arg(long)]
    pub tool: Option<String>,
    /// A CWE id: 79 or CWE-79.
    #[arg(long)]
    pub cwe: Option<String>,
    /// Free text matched against key, title, rule, path and advisory ids.
    #[arg(long = "text", short = 'q')]
    pub text: Option<String>,
    /// yes: still seen by the latest scan; no: no longer seen.
    #[arg(long)]
    pub seen: Option<String>,
    /// Only tickets owned by this team.
    #[arg(long)]
    pub owner: Option<String>,
    /// Priorities, comma-separated (critical, high, medium, low).
    #[arg(long)]
    pub priority: Option<String>,
    /// Open tickets on_track, due_soon, breached or paused.
    #[arg(long)]
    pub sla: Option<String>,
    /// Only tickets assigned to this person (`none`: to nobody).
    #[arg(long)]
    pub assignee: Option<String>,
    /// Only tickets with one of these labels, comma-separated.
    #[arg(long)]
    pub label: Option<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// What to write: vex (CycloneDX), openvex, trivyignore or gitleaksignore.
    pub kind: fixgate_service::ExportKind,
    /// The repository whose tickets' decisions are exported, as scans name it.
    #[arg(long = "repo")]
    pub repository: String,
    /// Only this application's tickets.
    #[arg(long = "app")]
    pub application: Option<String>,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// VEX only: the scanned artifact (e.g. `pkg:oci/shop?repository_url=...`),
    /// named as each statement's product with the package as its subcomponent.
    #[arg(long)]
    pub product: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    /// The report to import first (default: generated with
    /// ../shared/bench/gen_sarif.py, or by fixgate itself if that is missing).
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// The re-scan to import second.
    #[arg(long)]
    pub rescan: Option<PathBuf>,
    /// Results in a generated report.
    #[arg(long, default_value_t = 100_000)]
    pub results: u32,
    /// Where to keep generated reports and the benchmark's database.
    #[arg(long, default_value = "target/bench")]
    pub work_dir: PathBuf,
    /// Measure parse throughput and memory per format on generated reports
    /// of `--size-mb` instead.
    #[arg(long)]
    pub formats: bool,
    /// Size of each generated report for `--formats`, in MiB.
    #[arg(long, default_value_t = 100)]
    pub size_mb: u64,
    /// After the imports, measure re-routing the open tickets they left: a
    /// policy load, a CODEOWNERS file that moves them all, its dry run, and
    /// the same file again (nothing moves).
    #[arg(long)]
    pub reroute: bool,
    /// Measure the dashboard's figures and filtered ticket list pages on the store
    /// (seed it first with `fixgate seed`), in this process; p50, p95 and max of
    /// --runs runs each.
    #[arg(long, conflicts_with_all = ["formats", "reroute"])]
    pub web: bool,
    /// Also measure the list pages through the real HTTP server on 127.0.0.1.
    #[arg(long, requires = "web")]
    pub http: bool,
    /// Runs of each --web case, after one that warms the caches.
    #[arg(long, default_value_t = 20)]
    pub runs: u32,
    /// The team of the first list filter (--web).
    #[arg(long, default_value = "payments")]
    pub team: String,
    /// The application of the second list filter (--web).
    #[arg(long, default_value = "payments-api")]
    pub application: String,
    /// The CWE of the second list filter (--web).
    #[arg(long, default_value_t = 89)]
    pub cwe: u32,
    /// Run one phase in this process (the benchmark runs each phase so).
    #[arg(long, hide = true)]
    pub phase: Option<String>,
    /// The format of a `parse-format` phase.
    #[arg(long, hide = true)]
    pub format: Option<String>,
}

fn parse_evidence_format(value: &str) -> Result<fixgate_http::EvidenceFormat, String> {
    match value {
        "json" | "csv" | "html" => value.parse(),
        other => Err(format!("{other:?} is not one of json, csv or html")),
    }
}

#[derive(Debug, Clone, Args)]
pub struct SeedArgs {
    /// How many tickets to write (about 3% of them incidents, tasks and requests).
    #[arg(long)]
    pub tickets: u64,
    /// Years of history, ending at the start of --until.
    #[arg(long, default_value_t = 2)]
    pub years: u32,
    /// The same seed (with the same --tickets, --years and --until) writes the same store.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The last day of the history, YYYY-MM-DD, which ends at its start, UTC
    /// (default: today).
    #[arg(long, value_name = "DATE")]
    pub until: Option<jiff::civil::Date>,
    /// Add the tickets to a store that already has some.
    #[arg(long)]
    pub force: bool,
}
