//! fixgate's use cases: import a report as a scan, check a report against
//! what fixgate tracks (the CI gate), list and read tickets, open a ticket
//! by hand, move it along the workflow, assign, watch, label and link it
//! (one ticket or many at once), export the decisions taken on tickets to
//! the scanners, take signed webhook deliveries, load the exploit signal
//! files (CISA KEV, EPSS) users download, and tell people about their
//! tickets through notification channels, and compute the figures (KPIs)
//! managers and auditors read. The HTTP API, the web pages and the CLI all
//! go through here.

pub mod access;
mod audit;
pub mod background;
mod clock;
mod codeowners;
mod collab;
mod csv;
mod error;
pub mod evidence;
mod exploits;
mod export;
pub mod gate;
mod hooks;
mod import;
mod notify;
mod policy;
pub mod report;
mod reroute;
mod risk;
pub mod seed;
#[cfg(feature = "testkit")]
pub mod testkit;
mod tickets;
mod triage;
mod work;
mod workflow;

pub use access::{
    CreateToken, CreateUser, CreatedToken, CreatedUser, Principal, Session, SignIn, TokenHolder,
};
pub use clock::{Clock, FixedClock, SystemClock};
pub use codeowners::MAX_CODEOWNERS_BYTES;
pub use collab::{BULK_LIMIT, BulkChange, BulkOutcome, Skipped};
pub use error::ServiceError;
pub use exploits::LoadedExploitFile;
pub use export::{Export, ExportKind, ExportRequest};
pub use hooks::DeliveryId;
pub use import::{ImportReport, ImportRequest, Progress};
pub use notify::{
    AddChannel, AddedChannel, DeliveryRound, NotifySettings, SmtpSettings, TestOutcome,
};
pub use policy::POLICY_KEYS;
pub use reroute::{CodeownersSet, Flow, PolicyLoaded, Rerouted};
pub use risk::{AcceptRisk, MAX_ACCEPTANCE_DAYS, RiskDecision};
pub use tickets::{CreateTicket, MoveTicket};
pub use triage::{MAX_POLICY_BYTES, SetPriority, Sweep};
pub use work::{BoardColumn, MAX_VIEW_NAME, MAX_VIEW_QUERY, VIEW_PAGES};
pub use workflow::MoveOption;

use std::sync::Arc;

use fixgate_intake::{Limits, Options, SecretKey};
use fixgate_store::Store;

/// The application: a store, a clock and the limits imports obey.
#[derive(Clone)]
pub struct Fixgate {
    store: Store,
    clock: Arc<dyn Clock>,
    limits: Limits,
    /// Password hashes computed at once, across every caller: Argon2 is
    /// meant to be costly, and a burst of sign-ins from many addresses must
    /// not take every core.
    password_checks: Arc<tokio::sync::Semaphore>,
    /// How notifications reach people: the SMTP server, links to tickets.
    notify: Arc<NotifySettings>,
}

impl Fixgate {
    pub fn new(store: Store, clock: Arc<dyn Clock>) -> Fixgate {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let password_checks = Arc::new(tokio::sync::Semaphore::new((cores / 2).max(1)));
        Fixgate { store, clock, limits: Limits::default(), password_checks, notify: Arc::default() }
    }

    /// How many password checks may run at once (default: half the cores,
    /// at least one).
    pub fn with_password_checks(mut self, at_once: usize) -> Fixgate {
        self.password_checks = Arc::new(tokio::sync::Semaphore::new(at_once));
        self
    }

    pub fn with_limits(mut self, limits: Limits) -> Fixgate {
        self.limits = limits;
        self
    }

    /// What a parse of this installation is given: the limits and the key
    /// that hashes leaked secrets, created at first use and kept in the store.
    async fn parse_options(&self) -> Result<Options, ServiceError> {
        let fresh = SecretKey::random().to_hex();
        let stored = self.store.setting_or_insert("secret_hash_key", &fresh).await?;
        let secret_key = SecretKey::from_hex(&stored).ok_or_else(|| {
            ServiceError::Invalid("the stored secret hash key is not 64 hex characters".into())
        })?;
        Ok(Options { limits: self.limits, secret_key })
    }

    pub fn store(&self) -> &Store {
        &self.store
    }
}
