//! The one integration test binary (one binary links once; see kanidm's note on
//! `tests/`). Modules:
//! - `postgres`: the PostgreSQL server of `ROSTER_TEST_POSTGRES_URL`, a fresh schema per
//!   test.
//! - `conformance`: the store conformance suite on every backend.
//! - `api_requests`: wire rules every endpoint shares (auth, errors, limits, JSON).
//! - `api_resources`: users, tenants, roles, permissions, attributes, with snapshots.
//! - `api_patch`: the patch endpoints.
//! - `api_audit`: the audit trail's search and events, its retention, read-only keys.
//! - `api_changes`: the SDK's one-purpose user and tenant changes.
//! - `api_limits`: caps on what a client stores and item limits of batch endpoints.
//! - `api_fuzz`: random bodies and query strings never yield a 500.
//! - `patch_model`: property test of the patch rules against a reference model.
//! - `copy`: `roster copy`'s flow between real stores, every datum compared.
//! - `process`: a real `roster` process, and the concurrent-writers workload.
//! - `binary`: the real `roster` binary over a real socket, on SQLite.
//! - `bulk`: `roster users export | patch | import` against a real server: pages,
//!   formats, rate limits, HTTPS with a test CA, 100,000 users imported and patched
//!   through an interruption.
//! - `durability`: a real server killed (SIGKILL) under concurrent single patches and
//!   batches loses nothing it acknowledged and leaves no user half-patched.
//! - `exposure`: plain HTTP beyond loopback warned about, unusable TLS files refused.
//! - `console`: the admin console's files as the server hands them out, and the
//!   key the console signs in with.
//! - `keys`: management keys from the command line: limits, listing, revocation,
//!   rotation of `ROSTER_MANAGEMENT_KEY`, short keys refused beyond loopback.
//! - `hostile`: the real binary against misbehaving clients: timeouts, limits, floods.
//! - `observability`: `GET /metrics` after real requests, open connections over a
//!   socket, and `--log-format json` from the real binary.
//! - `seed`: seed documents applied twice, exported and seeded back, errors by path,
//!   and `roster serve --seed`.
//! - `nodes`: several real `roster` nodes on one PostgreSQL, its outages, and
//!   `roster copy` of a store of 100,000 users both ways.
//!
//! Tests that time the server's answers under load are `#[ignore]`d here and run alone,
//! after the others, by `scripts/test` (`cargo test --test it -- --ignored
//! --test-threads=1`), so that no other test competes for the CPU.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod api_audit;
mod api_changes;
mod api_fuzz;
mod api_limits;
mod api_patch;
mod api_requests;
mod api_resources;
mod binary;
mod bulk;
mod conformance;
mod console;
mod copy;
mod durability;
mod exposure;
mod helpers;
mod hostile;
mod keys;
mod nodes;
mod observability;
mod openapi;
mod patch_model;
mod postgres;
mod process;
mod seed;
