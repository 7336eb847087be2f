//! `roster-bench`: time the batch patch through HTTP against a real `roster serve`.
//!
//! It starts the given `roster` binary on a fresh SQLite file, seeds a catalog and the
//! users, then times, each several times and reporting the median:
//! - one `patch/batch` of 1,000 and of 10,000 users;
//! - the same 1,000 users patched one request at a time (the side-by-side baseline: what
//!   a client without a batch endpoint pays);
//! - restyling 100,000 users as ten batches of 10,000, sent one after another and by
//!   four clients at once.
//!
//! Each patch sets a name, the project roles, a tenant with a role and two custom
//! attributes, so every write path (the user row, both role tables, the tenant table,
//! the attribute JSON) is exercised. Results go to standard output as Markdown.
#![allow(
    clippy::print_stdout,
    clippy::disallowed_methods,
    reason = "a benchmark prints and reads the wall clock"
)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use serde_json::{Value, json};

#[derive(Debug, Parser)]
struct Args {
    /// The roster binary to measure.
    #[arg(long, default_value = "target/release/roster")]
    roster: String,
    /// Users in the store (the 100k restyle needs 100,000).
    #[arg(long, default_value_t = 100_000)]
    users: usize,
    /// Repetitions of each measurement (the median is reported).
    #[arg(long, default_value_t = 5)]
    repeat: usize,
}

const PROJECT: &str = "P2RosterBenchmark00000000001";
const KEY: &str = "bench-key";

struct Server {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(bin: &str) -> anyhow::Result<Server> {
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite://{}", dir.path().join("bench.db").display());
    let mut child = Command::new(bin)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--database-url",
            &db,
            "--max-batch-items",
            "10000",
        ])
        .env("ROSTER_PROJECT_ID", PROJECT)
        .env("ROSTER_MANAGEMENT_KEY", KEY)
        .env("ROSTER_LOG", "info")
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
    std::thread::spawn(move || for _ in lines {});
    Ok(Server {
        child,
        url,
        _dir: dir,
    })
}

struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    async fn send(
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
        let value: Value = resp.json().await?;
        if !status.is_success() {
            bail!("{path}: {status} {value}");
        }
        Ok(value)
    }

    async fn patch_batch(&self, items: &[Value]) -> anyhow::Result<()> {
        let out = self
            .send(
                reqwest::Method::PATCH,
                "/v1/mgmt/user/patch/batch",
                &json!({"users": items}),
            )
            .await?;
        let patched = out["patchedUsers"].as_array().map_or(0, Vec::len);
        if patched != items.len() {
            bail!(
                "only {patched} of {} users patched: {}",
                items.len(),
                out["failedUsers"]
            );
        }
        Ok(())
    }
}

fn login(i: usize) -> String {
    format!("user{i:06}@example.com")
}

/// The restyle patch of user `i` in round `round`.
fn restyle(i: usize, round: usize) -> Value {
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

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn fmt(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let server = start(&args.roster)?;
    let client = Client {
        http: reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(600))
            .build()?,
        url: server.url.clone(),
    };
    // The catalog: project roles, ten tenants with a role each, two attributes.
    for r in ["member", "reader", "viewer"] {
        client
            .send(
                reqwest::Method::POST,
                "/v1/mgmt/role/create",
                &json!({"name": r}),
            )
            .await?;
    }
    for t in 0..10 {
        client
            .send(
                reqwest::Method::POST,
                "/v1/mgmt/tenant/create",
                &json!({"id": format!("t{t}"), "name": format!("Tenant {t}")}),
            )
            .await?;
        client
            .send(
                reqwest::Method::POST,
                "/v1/mgmt/role/create",
                &json!({"name": "editor", "tenantId": format!("t{t}")}),
            )
            .await?;
    }
    client
        .send(
            reqwest::Method::POST,
            "/v1/mgmt/user/customattribute/create",
            &json!({"attributes": [{"name": "theme", "type": "string"}, {"name": "score", "type": "number"}]}),
        )
        .await?;
    let seeded = Instant::now();
    for chunk in (0..args.users).collect::<Vec<_>>().chunks(10_000) {
        let users: Vec<Value> = chunk
            .iter()
            .map(|&i| json!({"loginId": login(i), "email": login(i)}))
            .collect();
        let out = client
            .send(
                reqwest::Method::POST,
                "/v1/mgmt/user/create/batch",
                &json!({"users": users}),
            )
            .await?;
        if out["createdUsers"].as_array().map_or(0, Vec::len) != chunk.len() {
            bail!("seeding failed: {}", out["failedUsers"]);
        }
    }
    let seed_time = seeded.elapsed();

    let mut round = 0;
    let mut time_batch = async |size: usize, client: &Client| -> anyhow::Result<Duration> {
        let mut runs = Vec::new();
        for _ in 0..args.repeat {
            round += 1;
            let items: Vec<Value> = (0..size).map(|i| restyle(i, round)).collect();
            let t = Instant::now();
            client.patch_batch(&items).await?;
            runs.push(t.elapsed());
        }
        Ok(median(runs))
    };
    let batch_1k = time_batch(1_000, &client).await?;
    let batch_10k = time_batch(10_000, &client).await?;

    let mut single_runs = Vec::new();
    for _ in 0..args.repeat.min(3) {
        round += 1;
        let t = Instant::now();
        for i in 0..1_000 {
            client
                .send(
                    reqwest::Method::PATCH,
                    "/v1/mgmt/user/patch",
                    &restyle(i, round),
                )
                .await?;
        }
        single_runs.push(t.elapsed());
    }
    let single_1k = median(single_runs);

    let mut sequential = None;
    let mut concurrent = None;
    if args.users >= 100_000 {
        round += 1;
        let t = Instant::now();
        for chunk in (0..100_000).collect::<Vec<_>>().chunks(10_000) {
            let items: Vec<Value> = chunk.iter().map(|&i| restyle(i, round)).collect();
            client.patch_batch(&items).await?;
        }
        sequential = Some(t.elapsed());
        round += 1;
        let t = Instant::now();
        let mut tasks = Vec::new();
        for worker in 0..4 {
            let c = Client {
                http: client.http.clone(),
                url: client.url.clone(),
            };
            tasks.push(tokio::spawn(async move {
                for chunk in (0..100_000)
                    .filter(|i| (i / 10_000) % 4 == worker)
                    .collect::<Vec<_>>()
                    .chunks(10_000)
                {
                    let items: Vec<Value> = chunk.iter().map(|&i| restyle(i, round)).collect();
                    c.patch_batch(&items).await?;
                }
                anyhow::Ok(())
            }));
        }
        for task in tasks {
            task.await??;
        }
        concurrent = Some(t.elapsed());
    }

    println!(
        "Roster batch patch over HTTP, SQLite file, {} users in the store (seeded in {}).",
        args.users,
        fmt(seed_time)
    );
    println!(
        "Median of {} runs; each patch sets name, roles, a tenant role and two attributes.\n",
        args.repeat
    );
    println!("| measurement | time | users/s |");
    println!("|---|---|---|");
    let rate = |n: usize, d: Duration| format!("{:.0}", n as f64 / d.as_secs_f64());
    println!(
        "| patch/batch, 1,000 users | {} | {} |",
        fmt(batch_1k),
        rate(1_000, batch_1k)
    );
    println!(
        "| patch/batch, 10,000 users | {} | {} |",
        fmt(batch_10k),
        rate(10_000, batch_10k)
    );
    println!(
        "| 1,000 single patch requests, one at a time | {} | {} |",
        fmt(single_1k),
        rate(1_000, single_1k)
    );
    if let (Some(s), Some(c)) = (sequential, concurrent) {
        println!(
            "| 100,000 users, 10 batches of 10,000, one client | {} | {} |",
            fmt(s),
            rate(100_000, s)
        );
        println!(
            "| 100,000 users, 10 batches of 10,000, four clients | {} | {} |",
            fmt(c),
            rate(100_000, c)
        );
    }
    println!(
        "\nSide by side in this run: one batch of 1,000 is {:.1}x faster than 1,000 single patches.",
        single_1k.as_secs_f64() / batch_1k.as_secs_f64()
    );
    Ok(())
}
