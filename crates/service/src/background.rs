//! Work a server does on its own, every so often: the jobs of [`Job`], run
//! in turn on every tick of one loop. A job that fails is logged and the
//! loop goes on; the next tick runs it again.

use std::future::Future;
use std::time::Duration;

use crate::{Fixgate, ServiceError};

/// How often `fixgate serve` runs the jobs.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(15);

/// Something the server does on every tick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// Reopen tickets whose risk acceptance expired, and record and tell
    /// which tickets turned due soon or breached ([`Fixgate::sweep`]).
    Sweep,
    /// Send the notifications that are due ([`Fixgate::deliver_notifications`]).
    DeliverNotifications,
}

impl Job {
    /// Every job, in the order a tick runs them.
    pub const ALL: [Job; 2] = [Job::Sweep, Job::DeliverNotifications];

    pub fn name(self) -> &'static str {
        match self {
            Job::Sweep => "sweep",
            Job::DeliverNotifications => "deliver_notifications",
        }
    }

    /// Runs the job once.
    pub async fn run(self, fixgate: &Fixgate) -> Result<(), ServiceError> {
        match self {
            Job::Sweep => {
                let sweep = fixgate.sweep().await?;
                if sweep != crate::Sweep::default() {
                    tracing::info!(?sweep, "sla sweep");
                }
                Ok(())
            }
            Job::DeliverNotifications => {
                let round = fixgate.deliver_notifications().await?;
                if round != crate::DeliveryRound::default() {
                    tracing::debug!(?round, "notification round");
                }
                Ok(())
            }
        }
    }
}

/// Runs each of `jobs` once, in order; a failure is logged, not returned,
/// and does not keep the jobs after it from running.
pub async fn run_jobs(fixgate: &Fixgate, jobs: &[Job]) {
    for job in jobs {
        if let Err(err) = job.run(fixgate).await {
            tracing::error!(job = job.name(), error = %chain(&err), "background job failed");
        }
    }
}

/// Runs every job at once and then every `every`, until `shutdown`
/// completes. A tick under way when it does is finished first; a tick that
/// takes longer than `every` delays the next rather than piling ticks up.
pub async fn run_background(fixgate: Fixgate, every: Duration, shutdown: impl Future<Output = ()>) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = ticks.tick() => run_jobs(&fixgate, &Job::ALL).await,
        }
    }
}

/// An error with its causes, `outer: inner: innermost`.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}
