//! Timed loads that `roster-limits` and `roster-ab` run: the store they seed, what a
//! load counted, clients sending 1,000-user batch patches across the store, and clients
//! sending single patches.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{
    Client, Server, analyze_if_postgres, batch_body, login, percentile, vacuum_if_postgres,
};

/// Users in one batch of a batch load (and in one transaction of the raw programs).
pub const BATCH: usize = 1_000;

/// What a load did: users (or requests) done, the time it took, each request's latency.
#[derive(Debug, Default)]
pub struct Load {
    pub done: usize,
    pub took: Duration,
    pub latencies: Vec<Duration>,
}

impl Load {
    /// Done per second.
    #[allow(clippy::cast_precision_loss, reason = "counts far below 2^52")]
    pub fn rate(&self) -> f64 {
        self.done as f64 / self.took.as_secs_f64()
    }

    /// The `p`th percentile (0 to 100) of the latencies.
    pub fn p(&mut self, p: f64) -> Duration {
        percentile(&mut self.latencies, p)
    }
}

/// The clients' loads as one: what they did together since `started`.
pub async fn gather(
    tasks: Vec<tokio::task::JoinHandle<anyhow::Result<Load>>>,
    started: Instant,
) -> anyhow::Result<Load> {
    let mut all = Load::default();
    for t in tasks {
        let l = t.await??;
        all.done += l.done;
        all.latencies.extend(l.latencies);
    }
    all.took = started.elapsed();
    Ok(all)
}

/// A `roster serve` of `bin` on `db`, seeded for the loads: the catalog and `users`
/// members. On PostgreSQL the statistics are then as stale as they get: taken now,
/// while the role tables are empty, and never again during the loads (as with
/// autovacuum off, this machine's default, or behind), so Roster's plans must not
/// depend on them; and the tables are vacuumed.
pub async fn seeded(bin: &str, db: &str, users: usize) -> anyhow::Result<(Server, Client)> {
    let server = Server::start(bin, db, &[])?;
    let client = server.client()?;
    client.seed_catalog().await?;
    client.seed_members(users).await?;
    analyze_if_postgres(db).await?;
    vacuum_if_postgres(db).await?;
    Ok((server, client))
}

/// A batch item that changes scalars only: name, given name, status, verified email.
pub fn scalar(i: usize, round: usize) -> Value {
    json!({
        "loginId": login(i),
        "name": format!("User {i} r{round}"),
        "givenName": format!("G{round}"),
        "status": if round.is_multiple_of(2) { "enabled" } else { "disabled" },
        "verifiedEmail": round.is_multiple_of(2),
    })
}

/// `clients` clients sending 1,000-user batches across the store for `seconds`; client
/// `c` takes the ranges `c`, `c + clients`, ... in turn.
pub async fn batch_load(
    client: &Client,
    users: usize,
    clients: usize,
    seconds: u64,
    item: fn(usize, usize) -> Value,
) -> anyhow::Result<Load> {
    let ranges = users / BATCH;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let mut load = Load::default();
            let mut k = 0;
            while started.elapsed() < Duration::from_secs(seconds) {
                let range = (c + k * clients) % ranges;
                // Every visit of a range is a new round: each item changes its user.
                let round = 2 * k + c;
                let items: Vec<Value> = (range * BATCH..(range + 1) * BATCH)
                    .map(|i| item(i, round))
                    .collect();
                let body = batch_body(&items)?;
                let t = Instant::now();
                client.send_batch(&body, items.len()).await?;
                load.latencies.push(t.elapsed());
                load.done += BATCH;
                k += 1;
            }
            anyhow::Ok(load)
        }));
    }
    gather(tasks, started).await
}

/// `clients` clients each sending single patches, one at a time, for `seconds`.
pub async fn single_load(
    client: &Client,
    users: usize,
    clients: usize,
    seconds: u64,
) -> anyhow::Result<Load> {
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            let mut load = Load::default();
            let mut k = 0usize;
            while started.elapsed() < Duration::from_secs(seconds) {
                let i = (c * 9_973 + k * 31) % users;
                let body = json!({"loginId": login(i), "name": format!("Single {c} {k}")});
                let t = Instant::now();
                client
                    .send(reqwest::Method::PATCH, "/v1/mgmt/user/patch", &body)
                    .await?;
                load.latencies.push(t.elapsed());
                load.done += 1;
                k += 1;
            }
            anyhow::Ok(load)
        }));
    }
    gather(tasks, started).await
}
