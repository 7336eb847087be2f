//! Logging: human-readable lines on standard error, filtered by `ROSTER_LOG` (or
//! `RUST_LOG`), `info` by default. Requests are logged at `debug` by `tower-http`
//! (method, path, status, latency; never headers, so never a key).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

pub fn init() {
    let filter = std::env::var("ROSTER_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new("info,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        // A log that cannot be written (standard error closed) is dropped; reporting
        // that on standard error would panic and take the server down with it.
        .log_internal_errors(false)
        .try_init();
}
