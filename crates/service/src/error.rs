//! The service's errors: what callers map to exit codes and HTTP statuses.

use fixgate_domain::hook::HookError;
use fixgate_domain::triage::WorkflowError;
use fixgate_intake::ParseError;
use fixgate_store::StoreError;

/// What went wrong in a use case.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The report could not be read. The parser's message is part of this
    /// one, not a separate cause, so it is printed once.
    #[error("the report cannot be read: {0}")]
    Parse(ParseError),
    /// No parser recognised the report.
    #[error("unrecognised report format: {found}; supported formats: {supported}")]
    UnknownFormat { found: String, supported: String },
    /// The request is missing something or carries a wrong value.
    #[error("{0}")]
    Invalid(String),
    /// The request carries no valid credentials.
    #[error("{0}")]
    Unauthenticated(String),
    /// Too much of a costly kind of work is under way; try again shortly.
    #[error("{0}")]
    Busy(String),
    /// The caller's role or token does not allow the request.
    #[error("{0}")]
    Forbidden(String),
    /// The workflow does not allow the move, or the move lacks a field
    /// it needs. (A role the move is not for is [`ServiceError::Forbidden`].)
    #[error(transparent)]
    Workflow(#[from] WorkflowError),
    /// A webhook delivery was not signed with its hook's secret, or not
    /// within 300 s of now, or its headers are malformed.
    #[error(transparent)]
    Hook(#[from] HookError),
    /// The hook already took this delivery (the same id or signature).
    #[error("delivery {delivery} was already received; a delivery is taken once")]
    Replay { delivery: String },
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading the report failed.
    #[error("reading the report failed")]
    Io(#[source] std::io::Error),
    /// The system's random source gave no bytes.
    #[error("the system's random source failed")]
    Random(#[source] getrandom::Error),
    /// A background task died.
    #[error("an internal task failed")]
    Task(#[source] tokio::task::JoinError),
}

impl From<ParseError> for ServiceError {
    fn from(err: ParseError) -> ServiceError {
        ServiceError::Parse(err)
    }
}
