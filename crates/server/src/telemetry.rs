//! Logging: lines on standard error, filtered by `ROSTER_LOG` (or `RUST_LOG`), `info` by
//! default; human-readable text, or one JSON object per line (`--log-format json`) for
//! log collectors. Requests are logged at `debug` by `tower-http` (method, path,
//! status, latency; never headers, so never a key).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

pub fn init(format: LogFormat) {
    let filter = std::env::var("ROSTER_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .or_else(|| EnvFilter::try_from_default_env().ok())
        .unwrap_or_else(|| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // A log that cannot be written (standard error closed) is dropped; reporting
        // that on standard error would panic and take the server down with it.
        .log_internal_errors(false);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        // Each line a JSON object: `timestamp`, `level`, `target`, `fields` (the
        // message and the event's fields) and `span`/`spans` when inside one.
        LogFormat::Json => builder.json().with_ansi(false).try_init(),
    };
}
