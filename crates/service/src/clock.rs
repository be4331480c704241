//! Time as a parameter: everything that stamps or compares times asks a
//! [`Clock`], so tests can set the time.

use std::sync::Mutex;

use jiff::{SignedDuration, Timestamp};

/// Where "now" comes from.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The system's clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // The one place the wall clock is read.
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock tests set and advance.
#[derive(Debug)]
pub struct FixedClock(Mutex<Timestamp>);

impl FixedClock {
    pub fn new(at: Timestamp) -> FixedClock {
        FixedClock(Mutex::new(at))
    }

    pub fn set(&self, at: Timestamp) {
        if let Ok(mut now) = self.0.lock() {
            *now = at;
        }
    }

    pub fn advance(&self, by: SignedDuration) {
        if let Ok(mut now) = self.0.lock() {
            *now = now.checked_add(by).unwrap_or(*now);
        }
    }
}

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0.lock().map(|now| *now).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}
