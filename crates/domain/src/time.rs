//! Time, injected: a [`Clock`] gives "now" and every operation takes it as a value.
//!
//! Roster keeps times in milliseconds since the Unix epoch ([`Millis`]) because search
//! filters (`fromCreatedTime`...) are in milliseconds, and shows `createdTime` and
//! `modifiedTime` in seconds because that is what the SDKs decode (Go reads them as
//! `int32`). Only [`SystemClock`] reads the system time; tests use [`ManualClock`].

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Millis(pub i64);

impl Millis {
    /// Whole seconds, as the wire shows `createdTime`.
    pub fn as_secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    pub fn from_secs(secs: i64) -> Self {
        Millis(secs.saturating_mul(1000))
    }
}

pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> Millis;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(
        clippy::disallowed_methods,
        reason = "the one place that reads the system time"
    )]
    fn now(&self) -> Millis {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Millis(ms)
    }
}

/// A clock that tests move by hand. Every call to [`Clock::now`] advances it by `tick`
/// milliseconds, so that successive operations get distinct times.
#[derive(Debug)]
pub struct ManualClock {
    now: AtomicI64,
    tick: i64,
}

impl ManualClock {
    pub fn new(start: Millis, tick: i64) -> Self {
        Self {
            now: AtomicI64::new(start.0),
            tick,
        }
    }

    pub fn set(&self, t: Millis) {
        self.now.store(t.0, Ordering::SeqCst);
    }

    pub fn advance(&self, ms: i64) {
        self.now.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Millis {
        Millis(self.now.fetch_add(self.tick, Ordering::SeqCst))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_down() {
        assert_eq!(Millis(1_999).as_secs(), 1);
        assert_eq!(Millis(-1).as_secs(), -1);
        assert_eq!(Millis::from_secs(3), Millis(3_000));
    }

    #[test]
    fn manual_clock_ticks() {
        let c = ManualClock::new(Millis(10), 5);
        assert_eq!(c.now(), Millis(10));
        assert_eq!(c.now(), Millis(15));
        c.advance(100);
        assert_eq!(c.now(), Millis(120));
        c.set(Millis(1));
        assert_eq!(c.now(), Millis(1));
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now() > Millis(1_577_836_800_000));
    }
}
