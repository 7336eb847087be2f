//! The `roster` binary's library: command line, start-up and serving, kept out of
//! `main` so that tests run exactly what the binary runs.
//!
//! - [`cli`]: the command line (fixed by the design: scripts rely on it).
//! - [`startup`]: opening the store a URL names (SQLite or PostgreSQL), the first-start and
//!   `ROSTER_PROJECT_ID`/`ROSTER_MANAGEMENT_KEY` bootstrap, and serving on a bound
//!   listener until a shutdown signal.
//! - [`serve`]: the accept loop: connection limit, header and idle timeouts, shutdown
//!   deadline.
//! - [`bulk`]: `roster users export | patch | import`, through the HTTP API of Roster
//!   or Descope.
//! - [`copy`]: `roster copy`, a whole store into an empty one, with its progress.
//! - [`keys`]: `roster key create | list | revoke`.
//! - [`seed`]: seed documents: `roster seed`, `serve --seed`, `roster export`.
//! - [`prune`]: deleting audit records past the retention, in the background.
//! - [`telemetry`]: logging to standard error.
//! - [`tls`]: HTTPS with rustls, from `--tls-cert` and `--tls-key`.

pub mod bulk;
pub mod cli;
pub mod copy;
pub mod keys;
pub mod prune;
pub mod seed;
pub mod serve;
pub mod startup;
pub mod telemetry;
pub mod tls;
