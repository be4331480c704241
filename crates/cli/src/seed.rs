//! `fixgate seed`: fills a store with a made-up installation and years of
//! history (see `fixgate_service::seed`), then says what it wrote, how long
//! it took and how large the store is.

use std::time::Instant;

use anyhow::Context;
use fixgate_service::seed::SeedOptions;

use crate::cli::{SeedArgs, StoreArgs};
use crate::output::print;

pub async fn seed(store: &StoreArgs, args: SeedArgs) -> anyhow::Result<()> {
    let until = match args.until {
        Some(day) => Some(
            day.to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .context("--until is not a day fixgate can place")?
                .timestamp(),
        ),
        None => None,
    };
    let options = SeedOptions {
        tickets: args.tickets,
        years: args.years,
        seed: args.seed,
        force: args.force,
        until,
    };
    let fixgate = crate::serve::open(store).await?;
    let started = Instant::now();
    let progress = |written: u64| {
        if written.is_multiple_of(100_000) || written == args.tickets {
            eprintln!("{written} of {} tickets written", args.tickets);
        }
    };
    let result = fixgate.seed(&options, &progress).await;
    let seconds = started.elapsed().as_secs_f64();
    let size = fixgate.store().database_bytes().await;
    fixgate.store().close().await;
    let seeded = result?;

    print(&format!(
        "seeded {} tickets ({} security tickets) with {} events, {} applications and {} scans \
         from {} to {}\n{seconds:.1} s ({:.0} tickets/s); the store holds {:.0} MB\n",
        seeded.tickets,
        seeded.security_tickets,
        seeded.events,
        seeded.applications,
        seeded.scans,
        seeded.since,
        seeded.until,
        seeded.tickets as f64 / seconds.max(1e-9),
        size? as f64 / 1e6,
    ))
}
