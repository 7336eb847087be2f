//! Rate limits, as Descope applies them: each project may make `N` management requests
//! per window (`--rate-limit N/WINDOW`, off by default); and repeated failed
//! authentication from one client address is slowed down, always.
//!
//! The project limit counts authenticated requests only, so that nobody can spend a
//! project's allowance with a wrong key. Windows are fixed and start at the first
//! request (Descope's "100 requests per 60 s, then back off until the window ends").
//! Every counted answer carries `RateLimit-Limit`, `RateLimit-Remaining` and
//! `RateLimit-Reset` (seconds until the window ends); a refused one is 429 `E130429`
//! with `Retry-After`, which the SDKs read. Counts live in the node's memory: with
//! several nodes, each counts the requests it serves.
//!
//! Failed authentication: an address that keeps presenting wrong keys gets its failures
//! answered later and later (after the third in ten minutes, 100 ms, doubling up to
//! 5 s). Successful requests are never slowed, so a project's valid keys always get in.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use roster_domain::ids::ProjectId;
use roster_domain::time::Millis;

/// `N` requests per `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub requests: u32,
    pub window: Duration,
}

impl RateLimit {
    /// `N/WINDOW`, the window a number of seconds, or with a unit: `200/60s`, `100/1m`,
    /// `5000/1h`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not N/WINDOW, like 200/60s");
        let (n, window) = s.split_once('/').ok_or_else(bad)?;
        let requests: u32 = n.trim().parse().map_err(|_| bad())?;
        let window = window.trim();
        let (digits, unit) = window.split_at(
            window
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(window.len()),
        );
        let amount: u64 = digits.parse().map_err(|_| bad())?;
        let seconds = match unit {
            "" | "s" => amount,
            "m" => amount.saturating_mul(60),
            "h" => amount.saturating_mul(3600),
            _ => return Err(bad()),
        };
        if requests == 0 || seconds == 0 {
            return Err(format!(
                "{s:?}: both the number and the window must be above 0"
            ));
        }
        Ok(RateLimit {
            requests,
            window: Duration::from_secs(seconds),
        })
    }
}

/// Where a project stands in its window, for the answer's headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub limit: u32,
    pub remaining: u32,
    /// Whole seconds until the window ends (at least 1).
    pub reset_secs: u64,
    pub allowed: bool,
}

/// Counts of the current window of each project.
#[derive(Debug)]
pub struct ProjectLimiter {
    limit: RateLimit,
    windows: Mutex<HashMap<ProjectId, (Millis, u32)>>,
}

impl ProjectLimiter {
    pub fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Count one request of `project` at `now`.
    pub fn admit(&self, project: &ProjectId, now: Millis) -> Standing {
        let window_ms = i64::try_from(self.limit.window.as_millis()).unwrap_or(i64::MAX);
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() > 100_000 {
            // Forget windows that are over (projects that went quiet).
            windows.retain(|_, (start, _)| now.0.saturating_sub(start.0) < window_ms);
        }
        let entry = windows.entry(project.clone()).or_insert((now, 0));
        if now.0.saturating_sub(entry.0.0) >= window_ms || now.0 < entry.0.0 {
            *entry = (now, 0);
        }
        let allowed = entry.1 < self.limit.requests;
        if allowed {
            entry.1 += 1;
        }
        let ends = entry.0.0.saturating_add(window_ms);
        let left_ms = u64::try_from(ends.saturating_sub(now.0)).unwrap_or(0);
        Standing {
            limit: self.limit.requests,
            remaining: self.limit.requests - entry.1,
            reset_secs: left_ms.div_ceil(1000).max(1),
            allowed,
        }
    }
}

/// How long ago failures still count.
const FAILURE_MEMORY_MS: i64 = 10 * 60 * 1000;
/// Failures answered at once before the slowing starts.
const FREE_FAILURES: u32 = 3;
/// Addresses remembered at most (the oldest are forgotten first).
const ADDRESSES: usize = 100_000;

/// Failed authentications per client address.
#[derive(Debug, Default)]
pub struct AuthFailures {
    by_address: Mutex<HashMap<Option<IpAddr>, (Millis, u32)>>,
}

impl AuthFailures {
    /// Record a failure from `address` at `now`; how long to wait before answering it.
    pub fn failed(&self, address: Option<IpAddr>, now: Millis) -> Duration {
        let mut map = self.by_address.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= ADDRESSES {
            map.retain(|_, (last, _)| now.0.saturating_sub(last.0) < FAILURE_MEMORY_MS);
            if map.len() >= ADDRESSES {
                map.clear();
            }
        }
        let entry = map.entry(address).or_insert((now, 0));
        if now.0.saturating_sub(entry.0.0) >= FAILURE_MEMORY_MS {
            entry.1 = 0;
        }
        *entry = (now, entry.1.saturating_add(1));
        delay_after(entry.1)
    }
}

/// The wait before answering the `n`th recent failure of an address.
fn delay_after(n: u32) -> Duration {
    if n <= FREE_FAILURES {
        return Duration::ZERO;
    }
    let doublings = (n - FREE_FAILURES - 1).min(6);
    Duration::from_millis(100u64 << doublings).min(Duration::from_secs(5))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_read_as_descope_writes_them() {
        assert_eq!(
            RateLimit::parse("200/60s"),
            Ok(RateLimit {
                requests: 200,
                window: Duration::from_secs(60)
            })
        );
        assert_eq!(
            RateLimit::parse("100/1m").map(|l| l.window),
            Ok(Duration::from_secs(60))
        );
        assert_eq!(
            RateLimit::parse("5/10").map(|l| l.window),
            Ok(Duration::from_secs(10))
        );
        for bad in ["", "200", "x/60s", "200/", "200/60x", "0/60s", "5/0s"] {
            assert!(RateLimit::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_project_gets_its_allowance_per_window() {
        let l = ProjectLimiter::new(RateLimit::parse("2/10s").unwrap());
        let p = ProjectId::from_stored("P1".into());
        let q = ProjectId::from_stored("P2".into());
        let t = Millis(1_000_000);
        assert_eq!(l.admit(&p, t).remaining, 1);
        assert!(l.admit(&p, Millis(t.0 + 1)).allowed);
        let refused = l.admit(&p, Millis(t.0 + 2_500));
        assert!(!refused.allowed);
        assert_eq!((refused.remaining, refused.reset_secs), (0, 8));
        assert!(l.admit(&q, t).allowed, "projects are counted apart");
        let next = l.admit(&p, Millis(t.0 + 10_000));
        assert!(next.allowed, "a new window");
        assert_eq!(next.remaining, 1);
    }

    #[test]
    fn repeated_failures_are_slowed_down() {
        let f = AuthFailures::default();
        let a: Option<IpAddr> = "10.0.0.1".parse().ok();
        let t = Millis(0);
        let waits: Vec<u64> = (0..10).map(|_| f.failed(a, t).as_millis() as u64).collect();
        assert_eq!(waits, [0, 0, 0, 100, 200, 400, 800, 1600, 3200, 5000]);
        assert_eq!(
            f.failed(None, t),
            Duration::ZERO,
            "addresses are counted apart"
        );
        assert_eq!(
            f.failed(a, Millis(FAILURE_MEMORY_MS)),
            Duration::ZERO,
            "failures are forgotten after ten quiet minutes"
        );
    }
}
