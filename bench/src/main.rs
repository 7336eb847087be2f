//! `roster-bench`: time the batch patch through HTTP against a real `roster serve`, on
//! SQLite and, when given a PostgreSQL server, on PostgreSQL in the same run.
//!
//! For each backend it starts the given `roster` binary on a fresh store (a SQLite file;
//! a fresh schema of the PostgreSQL database), seeds a catalog and the users, then
//! times, each several times and reporting the median:
//! - one `patch/batch` of 1,000 and of 10,000 users;
//! - the same 1,000 users patched one request at a time (the side-by-side baseline: what
//!   a client without a batch endpoint pays);
//! - restyling 100,000 users as ten batches of 10,000, sent one after another and by
//!   four clients at once.
//!
//! Then, on the same store, the audit trail's cost: 10,000-user batches and single
//! patches with the trail on and off (`--audit-retention-days 0`), in turn.
//!
//! With PostgreSQL it also times `roster copy` of the SQLite store (every user) into an
//! empty schema. Each patch sets a name, the project roles, a tenant with a role and two
//! custom attributes, so every write path (the user row, both role tables, the tenant
//! table, the attribute JSON) is exercised. Results go to standard output as Markdown;
//! the schemas it made are dropped at the end.
#![allow(
    clippy::print_stdout,
    clippy::disallowed_methods,
    reason = "a benchmark prints and reads the wall clock"
)]

use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::bail;
use clap::Parser;
use roster_bench::{Client, Server, fmt, median, restyle};
use serde_json::Value;
use sqlx::{Connection, Executor, PgConnection};

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
    /// A PostgreSQL database to measure too (the bench works in schemas of its own and
    /// drops them afterwards), e.g. postgres://postgres@127.0.0.1:5432/test.
    #[arg(long, env = "ROSTER_BENCH_POSTGRES_URL")]
    postgres: Option<String>,
}

/// What one backend measured.
#[derive(Debug, Default)]
struct Results {
    seed: Duration,
    batch_1k: Duration,
    batch_10k: Duration,
    single_1k: Duration,
    restyle_sequential: Option<Duration>,
    restyle_concurrent: Option<Duration>,
    /// `patch/batch` of 10,000 users with the audit trail on, and off.
    audit_on: Duration,
    audit_off: Duration,
    /// 200 single patches, one at a time, with the audit trail on, and off.
    audit_single_on: Duration,
    audit_single_off: Duration,
}

/// The audit trail's cost: the same store served with the trail on and off
/// (`--audit-retention-days 0`), twice each in turn, `repeat` batches of 10,000 each
/// time after one untimed batch (a fresh process warms its caches), then 200 single
/// patches; the medians.
async fn audit_cost(args: &Args, db: &str, results: &mut Results) -> anyhow::Result<()> {
    let (mut on, mut off) = (Vec::new(), Vec::new());
    let (mut single_on, mut single_off) = (Vec::new(), Vec::new());
    let mut round = 1_000;
    for _pass in 0..2 {
        for audited in [true, false] {
            let extra: &[&str] = if audited {
                &[]
            } else {
                &["--audit-retention-days", "0"]
            };
            let server = Server::start(&args.roster, db, extra)?;
            let client = server.client()?;
            for run in 0..=args.repeat {
                round += 1;
                let items: Vec<Value> = (0..10_000).map(|i| restyle(i, round)).collect();
                let t = Instant::now();
                client.patch_batch(&items).await?;
                if run > 0 {
                    if audited { &mut on } else { &mut off }.push(t.elapsed());
                }
            }
            round += 1;
            let t = Instant::now();
            for i in 0..200 {
                client
                    .send(
                        reqwest::Method::PATCH,
                        "/v1/mgmt/user/patch",
                        &restyle(i, round),
                    )
                    .await?;
            }
            if audited {
                &mut single_on
            } else {
                &mut single_off
            }
            .push(t.elapsed());
        }
    }
    results.audit_on = median(on);
    results.audit_off = median(off);
    results.audit_single_on = median(single_on);
    results.audit_single_off = median(single_off);
    Ok(())
}

/// Seed a fresh store behind `server` and time everything on it.
async fn measure(args: &Args, server: &Server) -> anyhow::Result<Results> {
    let client = server.client()?;
    client.seed_catalog().await?;
    let mut results = Results::default();
    let seeded = Instant::now();
    client.seed_users(args.users).await?;
    results.seed = seeded.elapsed();

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
    results.batch_1k = time_batch(1_000, &client).await?;
    results.batch_10k = time_batch(10_000, &client).await?;

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
    results.single_1k = median(single_runs);

    if args.users >= 100_000 {
        round += 1;
        let t = Instant::now();
        for chunk in (0..100_000).collect::<Vec<_>>().chunks(10_000) {
            let items: Vec<Value> = chunk.iter().map(|&i| restyle(i, round)).collect();
            client.patch_batch(&items).await?;
        }
        results.restyle_sequential = Some(t.elapsed());
        round += 1;
        let t = Instant::now();
        let mut tasks = Vec::new();
        for worker in 0..4 {
            let c = client.clone();
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
        results.restyle_concurrent = Some(t.elapsed());
    }
    Ok(results)
}

/// Schemas of one PostgreSQL database, made for this run and dropped at its end.
struct Schemas {
    base: String,
    made: Vec<String>,
}

impl Schemas {
    /// A URL for a fresh schema (Roster creates it when it starts).
    fn fresh(&mut self, tag: &str) -> String {
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let schema = format!("roster_bench_{tag}_{stamp}");
        self.made.push(schema.clone());
        let sep = if self.base.contains('?') { '&' } else { '?' };
        format!("{}{sep}options=-csearch_path%3D{schema}", self.base)
    }

    async fn drop_all(&self) -> anyhow::Result<()> {
        let mut conn = PgConnection::connect(&self.base).await?;
        for s in &self.made {
            conn.execute(sqlx::AssertSqlSafe(format!(
                "DROP SCHEMA IF EXISTS \"{s}\" CASCADE"
            )))
            .await?;
        }
        Ok(())
    }
}

fn rate(n: usize, d: Duration) -> String {
    format!("{:.0}", n as f64 / d.as_secs_f64())
}

fn print_results(args: &Args, sqlite: &Results, postgres: Option<&Results>) {
    let both: Vec<&Results> = std::iter::once(sqlite).chain(postgres).collect();
    let mut rows: Vec<(String, usize, Vec<Duration>)> = vec![
        (
            "patch/batch, 1,000 users".into(),
            1_000,
            both.iter().map(|r| r.batch_1k).collect(),
        ),
        (
            "patch/batch, 10,000 users".into(),
            10_000,
            both.iter().map(|r| r.batch_10k).collect(),
        ),
        (
            "1,000 single patch requests, one at a time".into(),
            1_000,
            both.iter().map(|r| r.single_1k).collect(),
        ),
    ];
    if let Some(times) = both
        .iter()
        .map(|r| r.restyle_sequential)
        .collect::<Option<Vec<_>>>()
    {
        rows.push((
            "100,000 users, 10 batches of 10,000, one client".into(),
            100_000,
            times,
        ));
    }
    if let Some(times) = both
        .iter()
        .map(|r| r.restyle_concurrent)
        .collect::<Option<Vec<_>>>()
    {
        rows.push((
            "100,000 users, 10 batches of 10,000, four clients".into(),
            100_000,
            times,
        ));
    }
    println!(
        "Roster batch patch over HTTP, {} users in each store; median of {} runs; each patch \
         sets name, roles, a tenant role and two attributes.\n",
        args.users, args.repeat
    );
    if postgres.is_some() {
        println!(
            "| measurement | SQLite file | users/s | PostgreSQL | users/s | PostgreSQL / SQLite |"
        );
        println!("|---|---|---|---|---|---|");
    } else {
        println!("| measurement | SQLite file | users/s |");
        println!("|---|---|---|");
    }
    for (name, n, times) in &rows {
        let cells: Vec<String> = times
            .iter()
            .map(|t| format!("{} | {}", fmt(*t), rate(*n, *t)))
            .collect();
        let ratio = match times.as_slice() {
            [s, p] => format!(" | {:.2}x the time", p.as_secs_f64() / s.as_secs_f64()),
            _ => String::new(),
        };
        println!("| {name} | {}{ratio} |", cells.join(" | "));
    }
    println!(
        "\nThe audit trail's cost (the same store served with it on and off, twice each in \
         turn; median of {} batches of 10,000 users, and of 2 runs of 200 single patches):\n",
        2 * args.repeat
    );
    println!("| backend | measurement | audit on | audit off | on / off |");
    println!("|---|---|---|---|---|");
    for (label, r) in ["SQLite", "PostgreSQL"].iter().zip(&both) {
        for (what, on, off) in [
            ("patch/batch, 10,000 users", r.audit_on, r.audit_off),
            ("200 single patches", r.audit_single_on, r.audit_single_off),
        ] {
            println!(
                "| {label} | {what} | {} | {} | {:.3}x the time |",
                fmt(on),
                fmt(off),
                on.as_secs_f64() / off.as_secs_f64()
            );
        }
    }
    for (label, r) in ["SQLite", "PostgreSQL"].iter().zip(&both) {
        println!(
            "\n{label}: seeding {} users through create/batch took {}; one batch of 1,000 is \
             {:.1}x faster than 1,000 single patches.",
            args.users,
            fmt(r.seed),
            r.single_1k.as_secs_f64() / r.batch_1k.as_secs_f64()
        );
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    let sqlite_url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let sqlite = {
        let server = Server::start(&args.roster, &sqlite_url, &[])?;
        let mut results = measure(&args, &server).await?;
        drop(server);
        audit_cost(&args, &sqlite_url, &mut results).await?;
        results
    };
    let Some(base) = args.postgres.clone() else {
        print_results(&args, &sqlite, None);
        return Ok(());
    };
    let mut schemas = Schemas {
        base,
        made: Vec::new(),
    };
    let outcome = async {
        let pg_url = schemas.fresh("serve");
        let postgres = {
            let server = Server::start(&args.roster, &pg_url, &[])?;
            let mut results = measure(&args, &server).await?;
            drop(server);
            audit_cost(&args, &pg_url, &mut results).await?;
            results
        };
        let copy_target = schemas.fresh("copy");
        let t = Instant::now();
        let out = Command::new(&args.roster)
            .args(["copy", "--from", &sqlite_url, "--to", &copy_target])
            .env("ROSTER_LOG", "warn")
            .output()?;
        let copy_time = t.elapsed();
        if !out.status.success() {
            bail!(
                "roster copy failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        print_results(&args, &sqlite, Some(&postgres));
        println!(
            "\n`roster copy` of the SQLite store ({} users, every table checked) into an empty \
             PostgreSQL schema: {}.",
            args.users,
            fmt(copy_time)
        );
        anyhow::Ok(())
    }
    .await;
    schemas.drop_all().await?;
    outcome
}
