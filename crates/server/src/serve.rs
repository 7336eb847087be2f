//! Serving HTTP on a bound listener: the accept loop, the connection limit, the header
//! and idle timeouts, and a shutdown that waits for requests in flight only up to a
//! deadline.
//!
//! Each connection is served by hyper with a header timeout: a client that has not sent
//! a whole request head within it (a half-sent request, or an idle keep-alive connection
//! between requests) is disconnected. At most `max_connections` connections are served
//! at once; one more is still accepted, but every request on it is answered at once with
//! 429 `E130429` and the connection is closed, so that an overloaded server says so
//! instead of leaving clients hanging in the accept queue. Request limits (in flight,
//! time) are layers of the router (`roster_api`).
//!
//! With a TLS acceptor ([`crate::tls`]), each connection's handshake runs in its own task
//! within the header timeout, then the connection is served the same way.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, Response};
use axum::response::IntoResponse;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use hyper_util::service::TowerToHyperService;
use roster_api::AppState;
use roster_api::error::ApiError;
use roster_api::metrics::Refusal;
use roster_domain::{Error, ErrorCode};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

/// How connections are served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// A request head must arrive within this, and so must the next one on a kept-alive
    /// connection.
    pub header_timeout: Duration,
    /// Connections served at once.
    pub max_connections: usize,
    /// How long a shutdown waits for requests in flight.
    pub shutdown_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_secs(10),
            max_connections: 4096,
            shutdown_timeout: Duration::from_secs(20),
        }
    }
}

/// The runtime for heavy work (large bodies, batches and answers): as many threads as
/// cores, each lowered to a background priority (`SCHED_BATCH`, nice 9), so that the
/// threads answering requests always get the CPU first and heavy work takes what is
/// left. Where the priority cannot be lowered, the threads run as they are.
pub fn heavy_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    use thread_priority::{
        NormalThreadSchedulePolicy, ThreadPriority, ThreadPriorityValue, ThreadSchedulePolicy,
        set_thread_priority_and_policy, thread_native_id,
    };
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("roster-heavy")
        .on_thread_start(|| {
            let background = ThreadPriorityValue::try_from(23u8).map(ThreadPriority::Crossplatform);
            if let Ok(priority) = background
                && let Err(e) = set_thread_priority_and_policy(
                    thread_native_id(),
                    priority,
                    ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Batch),
                )
            {
                tracing::debug!(error = ?e, "cannot lower a heavy-work thread's priority");
            }
        })
        .enable_all()
        .build()?;
    Ok(runtime)
}

/// The most connections this process can serve: the open-file limit, minus room for
/// the database and logs. `None` when it cannot be read (not Linux).
pub fn open_file_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let soft = line.split_whitespace().nth(3)?;
    soft.parse::<usize>().ok().map(|n| n.saturating_sub(64))
}

/// The answer to every request on a connection beyond the limit.
fn over_capacity(max: usize) -> Response<Body> {
    let mut resp = ApiError(Error::new(
        ErrorCode::RateLimited,
        format!("the server is serving its maximum of {max} connections; try again shortly (see --max-connections)"),
    ))
    .into_response();
    resp.headers_mut()
        .insert("connection", axum::http::HeaderValue::from_static("close"));
    resp
}

/// Serve one accepted connection (plain or TLS) with `service`, until it closes.
async fn serve_conn<I, S>(builder: http1::Builder, io: I, service: S, watcher: Option<Watcher>)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::HttpService<Incoming> + Send + 'static,
    S::Future: Send + 'static,
    S::ResBody: Send + 'static,
    <S::ResBody as hyper::body::Body>::Data: Send,
    <S::ResBody as hyper::body::Body>::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let conn = builder.serve_connection(TokioIo::new(io), service);
    match watcher {
        Some(w) => {
            let _ = w.watch(conn).await;
        }
        None => {
            let _ = tokio::time::timeout(Duration::from_secs(5), conn).await;
        }
    }
}

/// Serve `state`'s API on an already bound listener until `shutdown` completes, then
/// wait for the requests in flight, at most `limits.shutdown_timeout`. With `tls`,
/// every connection speaks TLS.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    limits: ConnectionLimits,
    tls: Option<TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let metrics = state.metrics().clone();
    let app: Router = roster_api::router(state);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before it was
                    // accepted: wait a moment rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        // An answer goes out as soon as it is written: without this, the last small
        // piece of an answer sent in chunks (a batch's) waited for the client's
        // acknowledgement of the one before it (Nagle's algorithm against delayed
        // acknowledgements), up to 40 ms a request.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY on a connection");
        }
        let slot = slots.clone().try_acquire_owned().ok();
        let app = app.clone();
        let builder = builder.clone();
        // Connections beyond the limit are not watched: shutdown does not wait for them.
        let watcher = slot.as_ref().map(|_| graceful.watcher());
        let tls = tls.clone();
        let max = limits.max_connections;
        let metrics = metrics.clone();
        let handshake_timeout = limits.header_timeout;
        tokio::spawn(async move {
            let _slot = slot;
            let _open = metrics.connection();
            macro_rules! serve_io {
                ($io:expr) => {
                    if watcher.is_some() {
                        let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                            let mut req = req.map(Body::new);
                            req.extensions_mut().insert(ConnectInfo(peer));
                            app.clone().oneshot(req)
                        });
                        serve_conn(builder, $io, service, watcher).await;
                    } else {
                        let service = TowerToHyperService::new(tower::service_fn(
                            move |_req: Request<Incoming>| {
                                metrics.refused(Refusal::connections);
                                async move { Ok::<_, Infallible>(over_capacity(max)) }
                            },
                        ));
                        serve_conn(builder, $io, service, None).await;
                    }
                };
            }
            match tls {
                None => serve_io!(stream),
                Some(acceptor) => {
                    match tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(tls_stream)) => serve_io!(tls_stream),
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake took too long"),
                    }
                }
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(limits.shutdown_timeout) => {
            tracing::warn!(
                "requests were still running {} s after the shutdown signal; stopping anyway",
                limits.shutdown_timeout.as_secs()
            );
        }
    }
    Ok(())
}
