//! What every fuzz target does: detection and one parser over arbitrary
//! bytes, or one of the exploit signal files' readers. A parser may reject
//! the bytes; it must not panic, overflow its stack or run away with memory.

use fixgate_intake::{Collected, Limits, Options, SecretKey, formats};

/// Runs detection, then the parser of the format named `name`, on `data`.
pub fn check(name: &str, data: &[u8]) {
    let _ = formats::detect(data);
    let _ = formats::describe(data);
    let Some(format) = formats::by_name(name) else {
        panic!("no format is named {name}");
    };
    let options = Options {
        limits: Limits { max_bytes: 1 << 20, max_depth: 64 },
        secret_key: SecretKey::from_hex(&"5a".repeat(32)).unwrap_or_else(SecretKey::random),
    };
    let _ = (format.parse)(&mut &data[..], &options, &mut Collected::default());
}

/// Runs the KEV catalogue's reader on `data`.
pub fn check_kev(data: &[u8]) {
    let _ = fixgate_intake::exploits::parse_kev(data);
}

/// Runs the EPSS scores' reader on `data`.
pub fn check_epss(data: &[u8]) {
    let _ = fixgate_intake::exploits::parse_epss(data);
}
