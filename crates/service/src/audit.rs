//! The event log's hash chain (docs/audit.md): its head, to note somewhere
//! the store's administrators cannot write, and a check of the whole chain
//! against that note.

use fixgate_store::{ChainHead, ChainPin, ChainReport};

use crate::{Fixgate, ServiceError};

impl Fixgate {
    /// The chain's head: the number and hash of the last event.
    pub async fn audit_head(&self) -> Result<ChainHead, ServiceError> {
        Ok(self.store.chain_head().await?)
    }

    /// Walks the chain and checks its head and, when given, `pin`: a head
    /// noted earlier as `SEQ:HASH`, whose event must still be on the chain.
    pub async fn verify_chain(&self, pin: Option<&str>) -> Result<ChainReport, ServiceError> {
        let pin = pin
            .map(str::trim)
            .filter(|pin| !pin.is_empty())
            .map(str::parse::<ChainPin>)
            .transpose()
            .map_err(ServiceError::Invalid)?;
        let report = self.store.verify_chain(pin.as_ref()).await?;
        if let Some(broken) = &report.broken {
            tracing::warn!(
                target: "fixgate::security",
                seq = broken.seq,
                event = broken.event_id,
                problem = ?broken.problem,
                "the event log's hash chain is broken"
            );
        }
        Ok(report)
    }
}
