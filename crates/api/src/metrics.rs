//! Prometheus metrics, scraped at `GET /metrics`: what an operator watches on a node.
//!
//! One [`Metrics`] per server (in [`AppState`]), its own registry, so that servers in
//! one process (the tests) never mix their counts. It holds:
//!
//! - `roster_http_requests_total{route, method, status}` and
//!   `roster_http_request_duration_seconds{route, method}`: every request, by the route
//!   template that served it (`/v1/mgmt/user/:id` style, never the raw path, so the
//!   label set stays small; `unmatched` for unknown paths);
//! - `roster_batch_items{kind}`: the sizes of batch requests, and
//!   `roster_batch_items_total{kind, outcome}`: their items patched or created, and
//!   failed;
//! - `roster_store_step_seconds{step}`: how long each step of a patch batch took in the
//!   store (waiting for the write lock, checking what was read ahead of it, catalog,
//!   load, apply, write, audit);
//! - `roster_open_connections`: connections being served now;
//! - `roster_refused_total{reason}`: requests refused with 429 by `--rate-limit`
//!   (`rate_limit`), `--max-requests` (`requests`) or `--max-connections`
//!   (`connections`).
//!
//! The answer is OpenMetrics text, which Prometheus reads (`# EOF` ends it). `/metrics`
//! needs no key, like the health checks: it holds counts, never a project's data.
//!
//! [`AppState`]: crate::AppState

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use roster_store::batch::Steps;

use crate::AppState;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: String,
}

/// Which batch endpoint.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types, reason = "label values are lower case")]
pub enum BatchKind {
    patch,
    create,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: BatchKind,
}

#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types, reason = "label values are lower case")]
enum Outcome {
    done,
    failed,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ItemLabels {
    kind: BatchKind,
    outcome: Outcome,
}

#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types, reason = "label values are lower case")]
enum Step {
    wait,
    check,
    catalog,
    load,
    apply,
    write,
    audit,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StepLabels {
    step: Step,
}

/// Why a request was refused with 429.
#[derive(Debug, Clone, Copy, Hash, PartialEq, Eq, EncodeLabelValue)]
#[allow(non_camel_case_types, reason = "label values are lower case")]
pub enum Refusal {
    /// The project's `--rate-limit`.
    rate_limit,
    /// `--max-requests` in flight.
    requests,
    /// `--max-connections` open.
    connections,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RefusalLabels {
    reason: Refusal,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// Seconds, from 0.5 ms to about 65 s.
fn seconds() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 18))
}

/// Items in a batch, from 1 to 16,384.
fn sizes() -> Histogram {
    Histogram::new(exponential_buckets(1.0, 2.0, 15))
}

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Histograms<RouteLabels>,
    batch_sizes: Histograms<KindLabels>,
    items: Family<ItemLabels, Counter>,
    steps: Histograms<StepLabels>,
    open_connections: Gauge<i64, std::sync::atomic::AtomicI64>,
    refused: Family<RefusalLabels, Counter<u64, AtomicU64>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("roster");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template, method and status",
            requests.clone(),
        );
        let latency: Histograms<RouteLabels> = Family::new_with_constructor(seconds);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request (until its answer starts), by route template and method",
            latency.clone(),
        );
        let batch_sizes: Histograms<KindLabels> = Family::new_with_constructor(sizes);
        registry.register(
            "batch_items",
            "Items in each batch request (patch/batch, create/batch)",
            batch_sizes.clone(),
        );
        let items = Family::<ItemLabels, Counter>::default();
        registry.register(
            "batch_items_processed",
            "Batch items patched or created (done) and failed",
            items.clone(),
        );
        let steps: Histograms<StepLabels> = Family::new_with_constructor(seconds);
        registry.register(
            "store_step_seconds",
            "Time of each step of a patch batch in the store: wait (for the write lock), \
             catalog, load, apply (the rules), write, audit (the records and the commit)",
            steps.clone(),
        );
        let open_connections = Gauge::default();
        registry.register(
            "open_connections",
            "Connections being served",
            open_connections.clone(),
        );
        let refused = Family::<RefusalLabels, Counter>::default();
        registry.register(
            "refused",
            "Requests refused with 429: rate_limit (--rate-limit), requests \
             (--max-requests), connections (--max-connections)",
            refused.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            batch_sizes,
            items,
            steps,
            open_connections,
            refused,
        }
    }

    /// A batch of `kind` answered: its size, and how many items succeeded.
    pub fn batch(&self, kind: BatchKind, items: usize, done: usize) {
        #[allow(clippy::cast_precision_loss, reason = "batch sizes are small")]
        self.batch_sizes
            .get_or_create(&KindLabels { kind })
            .observe(items as f64);
        for (outcome, n) in [
            (Outcome::done, done),
            (Outcome::failed, items.saturating_sub(done)),
        ] {
            self.items
                .get_or_create(&ItemLabels { kind, outcome })
                .inc_by(n as u64);
        }
    }

    /// The store's steps of one patch batch.
    pub fn steps(&self, steps: &Steps) {
        for (step, took) in [
            (Step::wait, steps.wait),
            (Step::check, steps.check),
            (Step::catalog, steps.catalog),
            (Step::load, steps.load),
            (Step::apply, steps.apply),
            (Step::write, steps.write),
            (Step::audit, steps.audit),
        ] {
            self.steps
                .get_or_create(&StepLabels { step })
                .observe(took.as_secs_f64());
        }
    }

    /// A request refused with 429.
    pub fn refused(&self, reason: Refusal) {
        self.refused.get_or_create(&RefusalLabels { reason }).inc();
    }

    /// A connection is being served until the guard is dropped.
    pub fn connection(&self) -> ConnectionGuard {
        self.open_connections.inc();
        ConnectionGuard(self.open_connections.clone())
    }

    fn request(&self, route: String, method: String, status: StatusCode, took: Duration) {
        self.latency
            .get_or_create(&RouteLabels {
                route: route.clone(),
                method: method.clone(),
            })
            .observe(took.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                route,
                method,
                status: status.as_u16(),
            })
            .inc();
    }

    /// The metrics as OpenMetrics text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "rendering the metrics failed");
        }
        out
    }
}

/// Counts a connection as open while it lives.
#[derive(Debug)]
pub struct ConnectionGuard(Gauge<i64, std::sync::atomic::AtomicI64>);

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Middleware: count and time every request by its route template.
pub(crate) async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().as_str().to_string();
    let started = stopwatch();
    let resp = next.run(req).await;
    state
        .metrics()
        .request(route, method, resp.status(), started.elapsed());
    resp
}

#[allow(
    clippy::disallowed_methods,
    reason = "measures elapsed time for metrics only; no rule reads it"
)]
fn stopwatch() -> std::time::Instant {
    std::time::Instant::now()
}

/// `GET /metrics`.
pub(crate) async fn scrape(State(state): State<AppState>) -> Response {
    let mut resp = state.metrics().render().into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8"),
    );
    resp
}
