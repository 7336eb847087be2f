//! The one integration test binary (one binary links once; see kanidm's note on
//! `tests/`). Modules:
//! - `conformance`: the store conformance suite on every reachable backend.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod conformance;
