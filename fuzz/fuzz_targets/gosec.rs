//! Fuzzes the `gosec` parser and format detection; see `fuzz/src/lib.rs`.
//!
//! ```text
//! RUSTC_BOOTSTRAP=1 cargo fuzz run gosec -- -max_total_time=60
//! ```

#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| fixgate_fuzz::check("gosec", data));
