//! `roster-memory`: the server's peak memory (resident set, `VmHWM`) for the batches
//! that cost it most, each measured in a fresh `roster serve` process on a store seeded
//! beforehand, so that the figure is the batch's alone:
//!
//! - (a) the worst batch a client can send within Roster's caps: 10,000 items naming
//!   10,000 users that are each as large as a user may be (every name field, the
//!   picture and two text attributes at their caps, 30 project roles, 10 tenants with
//!   5 roles each), each item changing one field; and 10,000 items naming one such user
//!   and changing nothing;
//! - (b) a 10,000-user batch of ordinary users (the restyle patch of `roster-bench`);
//! - (c) 100 batches of ordinary users one after another, each of a different size
//!   (1,000 users, then 999, … 901): what the server keeps from batches of many sizes
//!   (a multi-row statement's text depends on its row count, and prepared statements are
//!   cached per connection).
//!
//! Results go to standard output as Markdown. Linux only (`/proc`).
#![allow(
    clippy::print_stdout,
    clippy::disallowed_methods,
    reason = "a benchmark prints and reads the wall clock"
)]

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Parser;
use roster_bench::{Client, Server, restyle};
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
async fn large_catalog(s: &Client) -> anyhow::Result<()> {
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

/// A fresh server process over `db`, warmed up (the first request after start loads the
/// key and the catalog), with a client and its memory at rest.
async fn warm_server(bin: &str, db: &str) -> anyhow::Result<(Server, Client, f64)> {
    let server = Server::start(bin, db, &[])?;
    let client = server.client()?;
    client
        .send(
            reqwest::Method::POST,
            "/v2/mgmt/user/search",
            &json!({"limit": 1}),
        )
        .await?;
    let idle = server.peak_mib()?;
    Ok((server, client, idle))
}

/// Run one batch on a fresh server process over `db`; its peak memory, time and
/// answer size.
async fn measure(
    bin: &str,
    db: &str,
    items: Vec<Value>,
) -> anyhow::Result<(f64, f64, Duration, usize)> {
    let (server, client, idle) = warm_server(bin, db).await?;
    let t = Instant::now();
    let out = client
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

/// Run [`SIZES`] restyle batches of different sizes, one after another, on a fresh
/// server process over `db`: its memory at rest, peak, and the time they took.
async fn measure_sizes(bin: &str, db: &str) -> anyhow::Result<(f64, f64, Duration)> {
    let (server, client, idle) = warm_server(bin, db).await?;
    let t = Instant::now();
    for k in 0..SIZES {
        let items: Vec<Value> = (0..1_000 - k).map(|i| restyle(i, k + 2)).collect();
        client.patch_batch(&items).await?;
    }
    Ok((idle, server.peak_mib()?, t.elapsed()))
}

/// Batches of (c).
const SIZES: usize = 100;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let db = |name: &str| format!("sqlite://{}", Path::new(dir.path()).join(name).display());

    // Seed the stores, each in a server of its own that then stops.
    let large_db = db("large.db");
    {
        let server = Server::start(&args.roster, &large_db, &[])?;
        let s = server.client()?;
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
        let server = Server::start(&args.roster, &ordinary_db, &[])?;
        let s = server.client()?;
        s.seed_catalog().await?;
        s.seed_users(args.users).await?;
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
    let (idle, peak, took) = measure_sizes(&args.roster, &ordinary_db).await?;
    println!(
        "| (c) {SIZES} batches of ordinary users, {} to 1000 users each | {idle:.0} MiB | {peak:.0} MiB | {:.2} s | - |",
        1_000 - SIZES + 1,
        took.as_secs_f64()
    );
    Ok(())
}
