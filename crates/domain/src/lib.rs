//! fixgate's domain: what a finding, a ticket and a scan are, how severities
//! compare, how fingerprints are computed, which workflow moves a ticket may
//! make, what labels and links tickets carry, whether a webhook delivery is
//! signed, what the exploit signals (CISA KEV, EPSS) hold, the triage
//! policy that gives a ticket its priority, team and SLA, and what a notice
//! to people says and when it goes out. Nothing here does I/O, so every
//! rule can be tested on its own.

pub mod access;
pub mod channel;
pub mod codeowners;
pub mod collab;
pub mod exploits;
pub mod finding;
pub mod fingerprint;
pub mod hook;
pub mod link;
pub mod matching;
pub mod notice;
pub mod policy;
pub mod scan;
pub mod severity;
pub mod ticket;
pub mod triage;

pub use access::{Action, Role};
pub use collab::{Label, LabelError, LinkKind};
pub use finding::{Cvss, Finding, Location, Package, SecretRef, Suppression, TraceStep, Vex};
pub use fingerprint::Fingerprint;
pub use matching::{MatchLayer, Matcher};
pub use notice::{Notice, NoticeKind, NoticeTicket};
pub use policy::{FindingKind, Grouping, ImportPolicy};
pub use scan::{ImportCounts, RunInfo, ScanContext, ScopeKey};
pub use severity::Severity;
pub use ticket::{MoveDetails, TicketState, TicketType, TransitionError, UnknownName};
