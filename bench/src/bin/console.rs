//! `roster-console-bench`: the searches the admin console sends, timed against a real
//! `roster serve` holding 100,000 users (names, project roles, a tenant and two custom
//! attributes each, through the restyle patch of `roster-bench`). Each search runs
//! `--runs` times, one at a time, as one person paging through the users screen
//! would; then "every user that matches" is resolved as the bulk screen does (pages of
//! 1,000 user IDs), and 500 users are loaded as one bulk batch loads them.
//!
//! On a SQLite file, and on PostgreSQL too when given one (in a schema of its own,
//! dropped afterwards, analyzed after the load as autovacuum would). Results go to
//! standard output as Markdown.
#![allow(
    clippy::print_stdout,
    clippy::disallowed_methods,
    reason = "a benchmark prints and reads the wall clock"
)]

use std::time::{Duration, Instant};

use clap::Parser;
use roster_bench::{Client, PgSchema, Server, analyze_if_postgres, login, ms, percentile, restyle};
use serde_json::{Value, json};

#[derive(Debug, Parser)]
struct Args {
    /// The roster binary to measure.
    #[arg(long, default_value = "target/release/roster")]
    roster: String,
    /// Users in the store.
    #[arg(long, default_value_t = 100_000)]
    users: usize,
    /// Times each search runs.
    #[arg(long, default_value_t = 20)]
    runs: usize,
    /// A PostgreSQL database to measure too (in a schema of its own, dropped afterwards).
    #[arg(long, env = "ROSTER_BENCH_POSTGRES_URL")]
    postgres: Option<String>,
}

/// The users screen's searches: what the console sends for each kind of view.
fn searches(users: usize) -> Vec<(&'static str, Value)> {
    let last_page = users / 50 - 1;
    vec![
        (
            "first page (50, newest first)",
            json!({"page": 0, "limit": 50}),
        ),
        ("last page", json!({"page": last_page, "limit": 50})),
        (
            "text naming one user",
            json!({"text": login(users / 2), "limit": 50}),
        ),
        (
            "text matching every user",
            json!({"text": "example.com", "limit": 50}),
        ),
        ("status", json!({"statuses": ["invited"], "limit": 50})),
        ("tenant", json!({"tenantIds": ["t3"], "limit": 50})),
        (
            "project role",
            json!({"roleNames": ["reader"], "limit": 50}),
        ),
        (
            "custom attribute",
            json!({"customAttributes": {"theme": "dark"}, "limit": 50}),
        ),
        (
            "sorted by name, descending",
            json!({"sort": [{"field": "name", "desc": true}], "limit": 50}),
        ),
        (
            "tenant and role, sorted by email, page 10",
            json!({"tenantIds": ["t3"], "roleNames": ["reader"], "sort": [{"field": "email"}], "page": 10, "limit": 50}),
        ),
    ]
}

async fn time(
    client: &Client,
    path: &str,
    body: &Value,
    runs: usize,
) -> anyhow::Result<(Vec<Duration>, u64)> {
    let mut times = Vec::with_capacity(runs);
    let mut total = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let answer = client.send(reqwest::Method::POST, path, body).await?;
        times.push(start.elapsed());
        total = answer["total"].as_u64().unwrap_or(0);
    }
    Ok((times, total))
}

async fn measure(args: &Args, db: &str, name: &str) -> anyhow::Result<()> {
    let server = Server::start(&args.roster, db, &[])?;
    let client = server.client()?;
    client.seed_catalog().await?;
    client.seed_users(args.users).await?;
    let items: Vec<Value> = (0..args.users).map(|i| restyle(i, 0)).collect();
    for chunk in items.chunks(10_000) {
        client.patch_batch(chunk).await?;
    }
    analyze_if_postgres(db).await?;
    println!("\n### {name}: {} users\n", args.users);
    println!("| search | total | p50 | p99 | max |");
    println!("|---|---|---|---|---|");
    for (label, body) in searches(args.users) {
        let (mut times, total) = time(&client, "/v2/mgmt/user/search", &body, args.runs).await?;
        let p50 = percentile(&mut times, 50.0);
        let p99 = percentile(&mut times, 99.0);
        let max = times.iter().max().copied().unwrap_or_default();
        println!(
            "| {label} | {total} | {} | {} | {} |",
            ms(p50),
            ms(p99),
            ms(max)
        );
    }
    // "Every user that matches": the bulk screen gathers user IDs, 1,000 a page.
    let start = Instant::now();
    let mut ids = Vec::new();
    for page in 0.. {
        let answer = client
            .send(
                reqwest::Method::POST,
                "/v2/mgmt/user/search",
                &json!({"text": "example.com", "page": page, "limit": 1000}),
            )
            .await?;
        let users = answer["users"].as_array().cloned().unwrap_or_default();
        ids.extend(
            users
                .iter()
                .filter_map(|u| u["userId"].as_str().map(str::to_owned)),
        );
        if users.len() < 1000 {
            break;
        }
    }
    let gathered = start.elapsed();
    let start = Instant::now();
    client
        .send(
            reqwest::Method::POST,
            "/v1/mgmt/users/load",
            &json!({"userIds": ids[..500.min(ids.len())]}),
        )
        .await?;
    let loaded = start.elapsed();
    println!(
        "\nEvery matching user's ID gathered ({} users, pages of 1,000): {}. 500 users loaded for one bulk batch: {}. Server peak memory: {:.0} MiB.",
        ids.len(),
        ms(gathered),
        ms(loaded),
        server.peak_mib()?
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    println!(
        "The console's searches, one at a time, {} runs each (times include HTTP on loopback).",
        args.runs
    );
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("console.db").display().to_string();
    measure(&args, &format!("sqlite://{path}"), "SQLite file").await?;
    if let Some(base) = &args.postgres {
        let schema = PgSchema::new(base, "roster_console");
        let outcome = measure(&args, &schema.url, "PostgreSQL").await;
        schema.drop().await?;
        outcome?;
    }
    Ok(())
}
