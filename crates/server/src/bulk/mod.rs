//! `roster users …`: bulk work on a project's users through the HTTP management API, so
//! that it works against Roster or against Descope itself, with the SDKs' conventions
//! (`DESCOPE_PROJECT_ID`, `DESCOPE_MANAGEMENT_KEY`, a base URL).
//!
//! [`Remote`] is the server and the credentials; it sends JSON requests, waiting out a
//! `429` for as long as its `Retry-After` says (the SDKs' rate-limit contract) before
//! sending again. [`export`] writes every user; [`input`] reads a file of users and
//! [`send`] sends it in batches, for `patch` and `import`.

use std::time::Duration;

use anyhow::{Context, bail};
use serde_json::Value;

pub mod export;
pub mod input;
pub mod send;

use crate::cli::{SendArgs, UsersCommand};

/// How many times one request is sent again after a `429` before giving up.
const RATE_LIMIT_RETRIES: u32 = 20;

/// Wait when a `429` has no usable `Retry-After`.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// The longest wait a `Retry-After` may ask for.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// A management API and the key to it.
#[derive(Debug, Clone)]
pub struct Remote {
    http: reqwest::Client,
    base_url: String,
    authorization: String,
}

impl Remote {
    pub fn new(base_url: &str, project_id: &str, management_key: &str) -> anyhow::Result<Self> {
        if project_id.trim().is_empty() {
            bail!("no project ID: set DESCOPE_PROJECT_ID or --project-id");
        }
        if management_key.trim().is_empty() {
            bail!("no management key: set DESCOPE_MANAGEMENT_KEY or --management-key");
        }
        Ok(Self {
            http: http_client()?,
            base_url: base_url.trim_end_matches('/').to_string(),
            authorization: format!("Bearer {project_id}:{management_key}"),
        })
    }

    /// `POST` `body` to `path`; see [`send`](Self::send).
    pub async fn post(&self, path: &str, body: &Value) -> anyhow::Result<Value> {
        self.send(reqwest::Method::POST, path, body).await
    }

    /// Send `body` to `path` and read the JSON answer; a `429` is waited out and sent
    /// again, any other error status is an error naming the server's message.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> anyhow::Result<Value> {
        let url = format!("{}{path}", self.base_url);
        let mut retries = 0;
        loop {
            let resp = self
                .http
                .request(method.clone(), &url)
                .header("authorization", &self.authorization)
                .json(body)
                .send()
                .await
                .with_context(|| format!("cannot reach {url}"))?;
            let status = resp.status();
            if status == reqwest::StatusCode::TOO_MANY_REQUESTS && retries < RATE_LIMIT_RETRIES {
                let wait = retry_after(resp.headers());
                retries += 1;
                tracing::info!(
                    seconds = wait.as_secs_f64(),
                    "rate limited by the server (429); waiting as Retry-After asks"
                );
                tokio::time::sleep(wait).await;
                continue;
            }
            let bytes = resp
                .bytes()
                .await
                .with_context(|| format!("{url}: no answer"))?;
            let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            if !status.is_success() {
                let message = value["errorDescription"]
                    .as_str()
                    .or_else(|| value["message"].as_str())
                    .map_or_else(
                        || String::from_utf8_lossy(&bytes).into_owned(),
                        str::to_string,
                    );
                let code = value["errorCode"].as_str().unwrap_or("");
                bail!("{path}: {status} {code} {message}");
            }
            return Ok(value);
        }
    }
}

/// Run a `roster users` command.
pub async fn run(command: UsersCommand) -> anyhow::Result<()> {
    match command {
        UsersCommand::Export {
            remote,
            format,
            output,
            with_test_users,
            page_size,
        } => {
            let remote = Remote::new(&remote.base_url, &remote.project_id, &remote.management_key)?;
            let written = match &output {
                Some(path) => {
                    let file = std::fs::File::create(path)
                        .with_context(|| format!("cannot create {}", path.display()))?;
                    export::run(
                        &remote,
                        format,
                        with_test_users,
                        page_size,
                        std::io::BufWriter::new(file),
                    )
                    .await?
                }
                None => {
                    let stdout = std::io::stdout().lock();
                    export::run(&remote, format, with_test_users, page_size, stdout).await?
                }
            };
            eprintln!(
                "roster users export: {}",
                users(written as usize, "written")
            );
            Ok(())
        }
        UsersCommand::Patch(args) => send_file(send::Kind::Patch, args).await,
        UsersCommand::Import(args) => send_file(send::Kind::Import, args).await,
    }
}

/// `12 users written`, `1 user written`.
fn users(n: usize, what: &str) -> String {
    format!("{n} user{} {what}", if n == 1 { "" } else { "s" })
}

/// `patch` or `import`: read and check the file, then (unless it is a dry run) send it.
async fn send_file(kind: send::Kind, args: SendArgs) -> anyhow::Result<()> {
    let name = match kind {
        send::Kind::Patch => "patch",
        send::Kind::Import => "import",
    };
    let file = args.file.display().to_string();
    let scan = send::scan(kind, input::open(&args.file, args.format)?);
    if scan.problem_count > 0 {
        return refuse(name, &file, &scan);
    }
    let batches = scan.users.div_ceil(args.batch_size.max(1));
    if args.dry_run {
        eprintln!(
            "roster users {name}: {file}: {} in {batches} batch{} of up to {}; no problems found, nothing sent (dry run)",
            users(scan.users, "to send"),
            if batches == 1 { "" } else { "es" },
            args.batch_size
        );
        return Ok(());
    }
    let remote = Remote::new(
        &args.remote.base_url,
        &args.remote.project_id,
        &args.remote.management_key,
    )?;
    let beside = |suffix: &str| {
        let mut p = args.file.clone().into_os_string();
        p.push(suffix);
        std::path::PathBuf::from(p)
    };
    let options = send::Options {
        batch_size: args.batch_size,
        in_flight: args.in_flight,
        state: args.state.clone().unwrap_or_else(|| beside(".state")),
        failures: args
            .failures
            .clone()
            .unwrap_or_else(|| beside(".failures.jsonl")),
    };
    let stop = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let items = input::open(&args.file, args.format)?;
    let summary = send::run(&remote, kind, items, &scan, &options, stop).await?;
    let done = match kind {
        send::Kind::Patch => "patched",
        send::Kind::Import => "imported",
    };
    eprintln!(
        "roster users {name}: {} of {}, {} failed{} ({} batch{} sent by this run)",
        users(summary.done, done),
        summary.users,
        summary.failed,
        if summary.failed > 0 {
            format!(": see {}", options.failures.display())
        } else {
            String::new()
        },
        summary.sent,
        if summary.sent == 1 { "" } else { "es" }
    );
    if summary.resumed && summary.sent == 0 {
        eprintln!(
            "roster users {name}: {} says this file was sent already; remove it to send the file again",
            options.state.display()
        );
    }
    Ok(())
}

/// A file that cannot be sent: its problems (the first of them), and failure.
fn refuse(name: &str, file: &str, scan: &send::Scan) -> anyhow::Result<()> {
    for p in &scan.problems {
        eprintln!("{file}:{}: {}", p.line, p.message);
    }
    if scan.problem_count > scan.problems.len() {
        eprintln!("… and {} more", scan.problem_count - scan.problems.len());
    }
    bail!(
        "roster users {name}: {file} has {} problem{}; nothing was sent",
        scan.problem_count,
        if scan.problem_count == 1 { "" } else { "s" }
    )
}

/// The wait a `429` asks for: `Retry-After` in seconds, within reason.
fn retry_after(headers: &reqwest::header::HeaderMap) -> Duration {
    headers
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map_or(DEFAULT_RETRY_AFTER, |s| {
            Duration::from_secs_f64(s).min(MAX_RETRY_AFTER)
        })
}

/// An HTTP client for the management API: HTTPS through rustls with the ring
/// provider (the one the server uses), the system's certificate authorities.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    // reqwest is built without a provider of its own; ring is installed once for the
    // process (a second install is refused, harmlessly).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("roster/", env!("CARGO_PKG_VERSION")))
        .build()
        .context("cannot set up an HTTP client")
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    #[test]
    fn retry_after_is_read_within_reason() {
        let with = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(RETRY_AFTER, HeaderValue::from_str(v).unwrap());
            retry_after(&h)
        };
        assert_eq!(with("7"), Duration::from_secs(7));
        assert_eq!(with("0.5"), Duration::from_millis(500));
        assert_eq!(with("100000"), MAX_RETRY_AFTER);
        assert_eq!(with("soon"), DEFAULT_RETRY_AFTER);
        assert_eq!(with("-3"), DEFAULT_RETRY_AFTER);
        assert_eq!(retry_after(&HeaderMap::new()), DEFAULT_RETRY_AFTER);
    }
}
