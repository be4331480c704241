//! Feeds arbitrary bytes to the SARIF parser: it may reject them, but it must
//! not panic, overflow its stack or run away with memory.
//!
//! From the repository root, seeded with the shared corpus:
//!
//! ```text
//! RUSTC_BOOTSTRAP=1 cargo fuzz run sarif fuzz/corpus/sarif ../shared/corpus/sarif \
//!     -- -dict=fuzz/sarif.dict -max_total_time=60
//! ```

#![no_main]

use fixgate_intake::{Collected, Limits, sarif};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sarif::sniff(data);
    let limits = Limits {
        max_bytes: 1024 * 1024,
    };
    let _ = sarif::parse(data, &limits, &mut Collected::default());
});
