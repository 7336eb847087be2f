//! CPU-heavy work kept off the async workers, and large answers written as they are
//! rendered.
//!
//! The async workers (as many as there are cores) must stay free for what is quick:
//! accepting connections, `/health/live`, loading a user. So heavy work runs on the
//! runtime [`AppState::heavy`] gives, whose threads the server starts at a lower
//! priority (they get the CPU when quick work does not need it): the reading of a
//! large batch body ([`cpu`]), a password hash ([`slow`]), a large batch's transaction
//! ([`run`]), and the rendering
//! of a large answer ([`json`]), which goes out in chunks as it is written, so that a
//! batch of 10,000 large users is never held as one JSON text.

use std::future::Future;
use std::io::{self, Write};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use roster_domain::Error;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::AppState;

/// Bytes rendered before they are handed to the connection.
const CHUNK: usize = 64 * 1024;
/// Chunks waiting for a slow client before rendering pauses.
const CHUNKS_IN_FLIGHT: usize = 4;

/// Bytes of a request body from which it is read off the async workers.
const LARGE_BODY_BYTES: usize = 64 * 1024;

/// Run `work`, which reads a request body of `bytes` bytes: on the blocking pool when
/// the body is large, in place otherwise.
pub async fn cpu<T: Send + 'static>(
    state: &AppState,
    bytes: usize,
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    if bytes < LARGE_BODY_BYTES {
        return work();
    }
    state.heavy().spawn_blocking(work).await.map_err(|e| {
        tracing::error!(error = %e, "CPU-bound work failed");
        Error::internal()
    })?
}

/// Run `work`, which is slow whatever its input (hashing a password), on the heavy
/// runtime's blocking pool.
pub async fn slow<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> Result<T, Error> + Send + 'static,
) -> Result<T, Error> {
    state.heavy().spawn_blocking(work).await.map_err(|e| {
        tracing::error!(error = %e, "slow work failed");
        Error::internal()
    })?
}

/// Run a large batch's work (`items` items) on the heavy runtime; a small one runs in
/// place.
pub async fn run<T: Send + 'static>(
    state: &AppState,
    items: usize,
    work: impl Future<Output = Result<T, Error>> + Send + 'static,
) -> Result<T, Error> {
    if items < LARGE_ANSWER_ITEMS {
        return work.await;
    }
    state.heavy().spawn(work).await.map_err(|e| {
        tracing::error!(error = %e, "a batch's work failed");
        Error::internal()
    })?
}

/// Writes into chunks and hands each full one to the response body.
struct ChunkWriter {
    buf: Vec<u8>,
    tx: mpsc::Sender<io::Result<Bytes>>,
}

impl ChunkWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK)));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

impl Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_all(data)?;
        Ok(data.len())
    }

    /// What the serializer calls for every fragment (a key, a quote, a value): written
    /// straight into the chunk, without the default's loop over `write`.
    #[inline]
    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// Items from which an answer is rendered off the async workers; a smaller one is
/// quicker to render in place than to hand over.
const LARGE_ANSWER_ITEMS: usize = 100;

/// A 200 answer with `answer` as its JSON body. An answer of `items` users or more is
/// serialized on the blocking pool and sent in chunks as it is written; a smaller one
/// is rendered in place.
pub fn json<T: Serialize + Send + 'static>(state: &AppState, answer: T, items: usize) -> Response {
    if items < LARGE_ANSWER_ITEMS {
        return axum::Json(answer).into_response();
    }
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(CHUNKS_IN_FLIGHT);
    state.heavy().spawn_blocking(move || {
        let mut out = ChunkWriter {
            buf: Vec::with_capacity(CHUNK),
            tx: tx.clone(),
        };
        let written = serde_json::to_writer(&mut out, &answer)
            .map_err(io::Error::from)
            .and_then(|()| out.flush());
        if let Err(e) = written {
            if e.kind() != io::ErrorKind::BrokenPipe {
                tracing::error!(error = %e, "rendering an answer failed");
            }
            // Cut the body short, so that the client sees a broken answer, not a
            // complete-looking one.
            let _ = tx.blocking_send(Err(e));
        }
    });
    let chunks =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|c| (c, rx)) });
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        Body::from_stream(chunks),
    )
        .into_response()
}
