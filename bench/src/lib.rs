//! What the benchmark binaries share: a real `roster serve` started on a store, an HTTP
//! client with the benchmark project's key, the catalog and users they seed, the
//! restyle patch, and the statistics they report; [`loads`], the timed loads;
//! [`emulator`], the in-memory reference point of single patches.
#![allow(
    clippy::disallowed_methods,
    reason = "a benchmark reads the wall clock"
)]

pub mod emulator;
pub mod loads;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};
use bytes::Bytes;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Value, json};

pub const PROJECT: &str = "P2RosterBenchmark00000000001";
pub const KEY: &str = "bench-key";

/// A `roster serve` process, killed when dropped.
#[derive(Debug)]
pub struct Server {
    pub child: Child,
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    /// Start `bin serve` on `db` (batches of up to 10,000 items), with `extra` arguments,
    /// and wait until it listens.
    pub fn start(bin: &str, db: &str, extra: &[&str]) -> anyhow::Result<Server> {
        let mut child = Command::new(bin)
            .args(["serve", "--listen", "127.0.0.1:0", "--database-url", db])
            .args(["--max-batch-items", "10000"])
            .args(extra)
            .env("ROSTER_PROJECT_ID", PROJECT)
            .env("ROSTER_MANAGEMENT_KEY", KEY)
            .env(
                "ROSTER_LOG",
                std::env::var("ROSTER_BENCH_LOG_FILTER").unwrap_or_else(|_| "info".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {bin} (build it with cargo build --release)"))?;
        let stderr = child.stderr.take().context("no stderr")?;
        let mut lines = BufReader::new(stderr).lines();
        let url = loop {
            let Some(line) = lines.next() else {
                bail!("roster serve exited before listening")
            };
            let line = line?;
            if let Some(at) = line.find("listening on ") {
                break line[at + 13..]
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
            }
        };
        // The rest of the log is drained, or kept in the file `ROSTER_BENCH_LOG` names
        // (each batch's log line gives its load, apply, write and audit times).
        let mut keep = std::env::var_os("ROSTER_BENCH_LOG")
            .map(|p| {
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
            })
            .transpose()?;
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                if let Some(f) = keep.as_mut() {
                    let _ = writeln!(f, "{line}");
                }
            }
        });
        Ok(Server { child, url })
    }

    /// Peak resident memory of the server process so far (`VmHWM`), in MiB. Linux only.
    pub fn peak_mib(&self) -> anyhow::Result<f64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .context("no VmHWM")?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()?;
        Ok(kib / 1024.0)
    }

    pub fn client(&self) -> anyhow::Result<Client> {
        Client::new(&self.url)
    }
}

/// An HTTP client of the benchmark project (connections kept alive).
#[derive(Debug, Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub url: String,
}

impl Client {
    pub fn new(url: &str) -> anyhow::Result<Self> {
        // reqwest has rustls without a crypto provider of its own: ring, as Roster.
        let _ = rustls::crypto::ring::default_provider().install_default();
        Ok(Client {
            http: reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(1800))
                .build()?,
            url: url.to_string(),
        })
    }

    /// Send a request; the answer, which must be a success.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> anyhow::Result<Value> {
        let resp = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("authorization", format!("Bearer {PROJECT}:{KEY}"))
            .json(body)
            .send()
            .await?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        let value: Value = serde_json::from_slice(&bytes)?;
        if !status.is_success() {
            let text = value.to_string();
            bail!("{path}: {status} {}", &text[..text.len().min(500)]);
        }
        Ok(value)
    }

    /// `PATCH /v1/mgmt/user/patch/batch`, which must patch every item.
    pub async fn patch_batch(&self, items: &[Value]) -> anyhow::Result<()> {
        self.send_batch(&batch_body(items)?, items.len()).await
    }

    /// Send a batch body made by [`batch_body`] of `items` items, which must all be
    /// patched. The answer is read whole but not kept: its patched users are only
    /// counted, so that the client spends as little of the machine as it can.
    pub async fn send_batch(&self, body: &Bytes, items: usize) -> anyhow::Result<()> {
        #[derive(Deserialize)]
        struct Answer {
            #[serde(rename = "patchedUsers", default)]
            patched: Vec<IgnoredAny>,
            #[serde(rename = "failedUsers", default)]
            failed: Vec<Value>,
        }
        let resp = self
            .http
            .patch(format!("{}/v1/mgmt/user/patch/batch", self.url))
            .header("authorization", format!("Bearer {PROJECT}:{KEY}"))
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        if !status.is_success() {
            let text = String::from_utf8_lossy(&bytes);
            bail!("patch/batch: {status} {}", &text[..text.len().min(500)]);
        }
        let answer: Answer = serde_json::from_slice(&bytes)?;
        if answer.patched.len() != items {
            bail!(
                "only {} of {items} users patched: {:?}",
                answer.patched.len(),
                answer.failed
            );
        }
        Ok(())
    }

    /// The catalog the restyle refers to: project roles `member`, `reader`, `viewer`,
    /// ten tenants `t0`..`t9` with a role `editor` each, attributes `theme` (text) and
    /// `score` (number).
    pub async fn seed_catalog(&self) -> anyhow::Result<()> {
        use reqwest::Method;
        for r in ["member", "reader", "viewer"] {
            self.send(Method::POST, "/v1/mgmt/role/create", &json!({"name": r}))
                .await?;
        }
        for t in 0..10 {
            let id = format!("t{t}");
            self.send(
                Method::POST,
                "/v1/mgmt/tenant/create",
                &json!({"id": id, "name": format!("Tenant {t}")}),
            )
            .await?;
            self.send(
                Method::POST,
                "/v1/mgmt/role/create",
                &json!({"name": "editor", "tenantId": id}),
            )
            .await?;
        }
        self.send(
            Method::POST,
            "/v1/mgmt/user/customattribute/create",
            &json!({"attributes": [{"name": "theme", "type": "string"}, {"name": "score", "type": "number"}]}),
        )
        .await?;
        Ok(())
    }

    /// `users` users `login(0)`.., through `create/batch` 10,000 at a time.
    pub async fn seed_users(&self, users: usize) -> anyhow::Result<()> {
        self.seed(users, |i| json!({"loginId": login(i), "email": login(i)}))
            .await
    }

    /// Create `users` users as [`seed_users`](Self::seed_users) does, each also a member
    /// of the tenant [`restyle`] gives it (`t{i % 10}`), so that every user has the
    /// rows a restyle changes from the start.
    pub async fn seed_members(&self, users: usize) -> anyhow::Result<()> {
        self.seed(users, |i| {
            json!({"loginId": login(i), "email": login(i),
                   "userTenants": [{"tenantId": format!("t{}", i % 10)}]})
        })
        .await
    }

    async fn seed(&self, users: usize, item: impl Fn(usize) -> Value) -> anyhow::Result<()> {
        for chunk in (0..users).collect::<Vec<_>>().chunks(10_000) {
            let items: Vec<Value> = chunk.iter().map(|&i| item(i)).collect();
            let out = self
                .send(
                    reqwest::Method::POST,
                    "/v1/mgmt/user/create/batch",
                    &json!({"users": items}),
                )
                .await?;
            if out["createdUsers"].as_array().map_or(0, Vec::len) != chunk.len() {
                bail!("seeding failed: {}", out["failedUsers"]);
            }
        }
        Ok(())
    }
}

pub fn login(i: usize) -> String {
    format!("user{i:06}@example.com")
}

/// The restyle patch of user `i` in round `round`: name, project roles, a tenant role
/// and two custom attributes, alternating between two styles so that every round
/// changes every user (every write path runs).
pub fn restyle(i: usize, round: usize) -> Value {
    let (roles, tenant_role) = if round.is_multiple_of(2) {
        (json!(["member", "reader"]), "editor")
    } else {
        (json!(["member"]), "viewer")
    };
    json!({
        "loginId": login(i),
        "name": format!("User {i} r{round}"),
        "roleNames": roles,
        "userTenants": [{"tenantId": format!("t{}", i % 10), "roleNames": [tenant_role]}],
        "customAttributes": {"theme": if round.is_multiple_of(2) { "dark" } else { "light" }, "score": round},
    })
}

/// The body of a batch patch of these items, rendered once.
pub fn batch_body(items: &[Value]) -> anyhow::Result<Bytes> {
    Ok(Bytes::from(serde_json::to_vec(&json!({ "users": items }))?))
}

pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The `p`th percentile (0 to 100) of `v` (sorted here), nearest rank.
pub fn percentile(v: &mut [Duration], p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort();
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "a rank among at most millions of samples"
    )]
    let rank = ((p / 100.0) * v.len() as f64).ceil().max(1.0) as usize;
    v[rank.min(v.len()) - 1]
}

pub fn fmt(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// On PostgreSQL, `ANALYZE` the store `db` names, as autovacuum does within a minute of
/// a load: the development and CI machines run PostgreSQL with autovacuum off, and
/// without statistics the planner takes a freshly seeded table for a few rows (500
/// users loaded in 2 s instead of 20 ms). `roster-console` calls it once its load is
/// whole; `roster-limits` calls it before its loads, while the role tables are still
/// empty, the worst statistics Roster can meet. Nothing on SQLite.
pub async fn analyze_if_postgres(db: &str) -> anyhow::Result<()> {
    use sqlx::{Connection, Executor};
    if db.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(db).await?;
        conn.execute("ANALYZE").await?;
    }
    Ok(())
}

/// On PostgreSQL, `VACUUM` the tables of the URL's schema (no `ANALYZE`: the statistics
/// stay as they were), so that a load starts on a store without the dead rows the loads
/// before it left, as autovacuum would keep it (the development and CI machines run
/// PostgreSQL with it off). `roster-limits` calls it before every batch load, Roster's
/// and the raw program's alike. Nothing on SQLite.
pub async fn vacuum_if_postgres(db: &str) -> anyhow::Result<()> {
    use sqlx::{Connection, Executor};
    if db.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(db).await?;
        let tables: Vec<(String,)> = sqlx::query_as(
            "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = current_schema()",
        )
        .fetch_all(&mut conn)
        .await?;
        if !tables.is_empty() {
            let names: Vec<String> = tables.into_iter().map(|(t,)| t).collect();
            // The names come from the catalog, quoted by PostgreSQL.
            conn.execute(sqlx::AssertSqlSafe(format!("VACUUM {}", names.join(", "))))
                .await?;
        }
    }
    Ok(())
}

/// A schema of its own on the PostgreSQL server `base` names, for one measurement:
/// the URL that selects it (created by Roster's migrations), dropped by [`drop`](Self::drop).
#[derive(Debug)]
pub struct PgSchema {
    base: String,
    name: String,
    pub url: String,
}

impl PgSchema {
    /// A fresh schema named `prefix` and the time.
    pub fn new(base: &str, prefix: &str) -> Self {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let name = format!("{prefix}_{stamp}");
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-csearch_path%3D{name}");
        PgSchema {
            base: base.to_string(),
            name,
            url,
        }
    }

    /// Drop the schema and everything in it.
    pub async fn drop(self) -> anyhow::Result<()> {
        use sqlx::{Connection, Executor};
        let mut conn = sqlx::PgConnection::connect(&self.base).await?;
        conn.execute(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA IF EXISTS \"{}\" CASCADE",
            self.name
        )))
        .await?;
        Ok(())
    }
}
