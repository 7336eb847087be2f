//! `roster-memory`: the server's peak memory (resident set, `VmHWM`) for the batches
//! that cost it most, each measured in a fresh `roster serve` process on a store seeded
//! beforehand, so that the figure is the batch's alone:
//!
//! - (a) the worst batch a client can send within Roster's caps: 10,000 items naming
//!   10,000 users that are each as large as a user may be (every name field, the
//!   picture and two text attributes at their caps, 30 project roles, 10 tenants with
//!   5 roles each), each item changing one field; and 10,000 items naming one such user
//!   and changing nothing;
//! - (b) a 10,000-user batch of ordinary users (the restyle patch of `roster-bench`).
//!
//! Results go to standard output as Markdown. Linux only (`/proc`).
#![allow(
    clippy::print_stdout,
    clippy::disallowed_methods,
    reason = "a benchmark prints and reads the wall clock"
)]

use std::io::{BufRead, BufReader};
use std::path::Path;
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
    /// Users in each batch.
    #[arg(long, default_value_t = 10_000)]
    users: usize,
}

const PROJECT: &str = "P2RosterBenchmark00000000001";
const KEY: &str = "bench-key";

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn start(bin: &str, db: &str) -> anyhow::Result<Server> {
        let mut child = Command::new(bin)
            .args(["serve", "--listen", "127.0.0.1:0", "--database-url", db])
            .args(["--max-batch-items", "10000"])
            .env("ROSTER_PROJECT_ID", PROJECT)
            .env("ROSTER_MANAGEMENT_KEY", KEY)
            .env("ROSTER_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {bin}"))?;
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
        Ok(Server { child, url })
    }

    /// Peak resident memory of the server process so far, in MiB.
    fn peak_mib(&self) -> anyhow::Result<f64> {
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

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
    ) -> anyhow::Result<Value> {
        let resp = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(1800))
            .build()?
            .request(method, format!("{}{path}", self.url))
            .header("authorization", format!("Bearer {PROJECT}:{KEY}"))
            .json(body)
            .send()
            .await?;
        let status = resp.status();
        let bytes = resp.bytes().await?;
        let value: Value = serde_json::from_slice(&bytes)?;
        if !status.is_success() {
            bail!(
                "{path}: {status} {}",
                &value.to_string()[..value.to_string().len().min(500)]
            );
        }
        Ok(value)
    }
}

fn text(prefix: &str, len: usize) -> String {
    let mut s = prefix.to_string();
    while s.len() < len {
        s.push('x');
    }
    s.truncate(len);
    s
}

/// The catalog a large user refers to: 30 project roles and 10 tenants with 5 roles
/// each, names of 64 characters; two text attributes and a number.
async fn large_catalog(s: &Server) -> anyhow::Result<()> {
    for r in 0..30 {
        s.send(
            reqwest::Method::POST,
            "/v1/mgmt/role/create",
            &json!({"name": text(&format!("role{r:02}-"), 64)}),
        )
        .await?;
    }
    for t in 0..10 {
        s.send(
            reqwest::Method::POST,
            "/v1/mgmt/tenant/create",
            &json!({"id": text(&format!("tenant{t}-"), 64), "name": text(&format!("Tenant {t} "), 64)}),
        )
        .await?;
        for r in 0..5 {
            s.send(
                reqwest::Method::POST,
                "/v1/mgmt/role/create",
                &json!({"name": text(&format!("trole{r}-"), 64), "tenantId": text(&format!("tenant{t}-"), 64)}),
            )
            .await?;
        }
    }
    s.send(
        reqwest::Method::POST,
        "/v1/mgmt/user/customattribute/create",
        &json!({"attributes": [{"name": "notes", "type": "string"}, {"name": "bio", "type": "string"}, {"name": "n", "type": "number"}]}),
    )
    .await?;
    Ok(())
}

/// A user as large as Roster's caps allow.
fn large_user(i: usize) -> Value {
    json!({
        "loginId": format!("big{i}"),
        "name": text(&format!("Name {i} "), 256),
        "givenName": text("Given ", 256),
        "middleName": text("Middle ", 256),
        "familyName": text("Family ", 256),
        "picture": text("https://example.com/pictures/", 2048),
        "email": format!("big{i}@example.com"),
        "roleNames": (0..30).map(|r| text(&format!("role{r:02}-"), 64)).collect::<Vec<_>>(),
        "userTenants": (0..10).map(|t| json!({
            "tenantId": text(&format!("tenant{t}-"), 64),
            "roleNames": (0..5).map(|r| text(&format!("trole{r}-"), 64)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "customAttributes": {"notes": text("notes ", 4096), "bio": text("bio ", 2048), "n": i},
    })
}

fn restyle(i: usize, round: usize) -> Value {
    let (roles, tenant_role) = if round.is_multiple_of(2) {
        (json!(["member", "reader"]), "editor")
    } else {
        (json!(["member"]), "viewer")
    };
    json!({
        "loginId": format!("user{i:06}@example.com"),
        "name": format!("User {i} r{round}"),
        "roleNames": roles,
        "userTenants": [{"tenantId": format!("t{}", i % 10), "roleNames": [tenant_role]}],
        "customAttributes": {"theme": if round.is_multiple_of(2) { "dark" } else { "light" }, "score": round},
    })
}

async fn ordinary_catalog(s: &Server) -> anyhow::Result<()> {
    for r in ["member", "reader", "viewer"] {
        s.send(
            reqwest::Method::POST,
            "/v1/mgmt/role/create",
            &json!({"name": r}),
        )
        .await?;
    }
    for t in 0..10 {
        s.send(
            reqwest::Method::POST,
            "/v1/mgmt/tenant/create",
            &json!({"id": format!("t{t}"), "name": format!("Tenant {t}")}),
        )
        .await?;
        s.send(
            reqwest::Method::POST,
            "/v1/mgmt/role/create",
            &json!({"name": "editor", "tenantId": format!("t{t}")}),
        )
        .await?;
    }
    s.send(
        reqwest::Method::POST,
        "/v1/mgmt/user/customattribute/create",
        &json!({"attributes": [{"name": "theme", "type": "string"}, {"name": "score", "type": "number"}]}),
    )
    .await?;
    Ok(())
}

/// Run one batch on a fresh server process over `db`; its peak memory, time and
/// answer size.
async fn measure(
    bin: &str,
    db: &str,
    items: Vec<Value>,
) -> anyhow::Result<(f64, f64, Duration, usize)> {
    let server = Server::start(bin, db)?;
    // Warm up: the first request after start loads the key and the catalog.
    server
        .send(
            reqwest::Method::POST,
            "/v2/mgmt/user/search",
            &json!({"limit": 1}),
        )
        .await?;
    let idle = server.peak_mib()?;
    let t = Instant::now();
    let out = server
        .send(
            reqwest::Method::PATCH,
            "/v1/mgmt/user/patch/batch",
            &json!({"users": items}),
        )
        .await?;
    let took = t.elapsed();
    let patched = out["patchedUsers"].as_array().map_or(0, Vec::len);
    let size = out.to_string().len();
    if patched == 0 {
        bail!("nothing patched: {}", &out.to_string()[..500.min(size)]);
    }
    Ok((idle, server.peak_mib()?, took, size))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let db = |name: &str| format!("sqlite://{}", Path::new(dir.path()).join(name).display());

    // Seed the stores, each in a server of its own that then stops.
    let large_db = db("large.db");
    {
        let s = Server::start(&args.roster, &large_db)?;
        large_catalog(&s).await?;
        for chunk in (0..args.users).collect::<Vec<_>>().chunks(500) {
            let users: Vec<Value> = chunk.iter().map(|&i| large_user(i)).collect();
            s.send(
                reqwest::Method::POST,
                "/v1/mgmt/user/create/batch",
                &json!({"users": users}),
            )
            .await?;
        }
        let one = s
            .send(
                reqwest::Method::GET,
                "/v1/mgmt/user?loginId=big0",
                &json!({}),
            )
            .await?;
        println!(
            "A large user, as the API shows it: {} bytes of JSON.\n",
            one["user"].to_string().len()
        );
    }
    let ordinary_db = db("ordinary.db");
    {
        let s = Server::start(&args.roster, &ordinary_db)?;
        ordinary_catalog(&s).await?;
        for chunk in (0..args.users).collect::<Vec<_>>().chunks(10_000) {
            let users: Vec<Value> = chunk
                .iter()
                .map(|&i| json!({"loginId": format!("user{i:06}@example.com"), "email": format!("user{i:06}@example.com")}))
                .collect();
            s.send(
                reqwest::Method::POST,
                "/v1/mgmt/user/create/batch",
                &json!({"users": users}),
            )
            .await?;
        }
    }

    let n = args.users;
    let rows = [
        (
            format!("(a) {n} items, {n} large users, one field changed each"),
            large_db.clone(),
            (0..n)
                .map(|i| json!({"loginId": format!("big{i}"), "givenName": format!("G{i}")}))
                .collect::<Vec<_>>(),
        ),
        (
            format!("(a) {n} items naming one large user, nothing changed"),
            large_db.clone(),
            (0..n).map(|_| json!({"loginId": "big0"})).collect(),
        ),
        (
            format!("(b) {n} ordinary users, restyled"),
            ordinary_db.clone(),
            (0..n).map(|i| restyle(i, 1)).collect(),
        ),
    ];
    println!("| batch | server at rest | server peak | time | answer |");
    println!("|---|---|---|---|---|");
    for (name, db, items) in rows {
        let (idle, peak, took, size) = measure(&args.roster, &db, items).await?;
        println!(
            "| {name} | {idle:.0} MiB | {peak:.0} MiB | {:.2} s | {:.0} MiB |",
            took.as_secs_f64(),
            size as f64 / (1024.0 * 1024.0)
        );
    }
    Ok(())
}
