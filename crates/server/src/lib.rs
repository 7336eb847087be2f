//! The `roster` binary's library: command line, start-up and serving, kept out of
//! `main` so that tests run exactly what the binary runs.
//!
//! - [`cli`]: the command line (fixed by the design: scripts rely on it).
//! - [`startup`]: opening the store named by a URL, the first-start and
//!   `ROSTER_PROJECT_ID`/`ROSTER_MANAGEMENT_KEY` bootstrap, and serving on a bound
//!   listener until a shutdown signal.
//! - [`telemetry`]: logging to standard error.

pub mod cli;
pub mod startup;
pub mod telemetry;
