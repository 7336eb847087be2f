//! `roster-limits`: Roster against the limit of its own database, side by side in one run.
//!
//! For each backend (a SQLite file; PostgreSQL when given one) it seeds a store through a
//! real `roster serve` (each user in one of ten tenants; PostgreSQL analyzed right
//! after, while the role tables are empty, and vacuumed, never analyzed again, before
//! each batch load, Roster's and the raw program's), then measures, each for
//! `--seconds`:
//! - batch patches of 1,000 users sent by 2 clients across the whole store, items that
//!   change scalars (name, given name, status, verified email), then items that change
//!   lists (roles, a tenant's roles, custom attributes: the restyle); users per second,
//!   p50 and p99 per request; while the scalar load runs, a third client searches and
//!   loads users (reads under writes, p99);
//! - single-user patches at 1, 16 and 64 clients: patches per second, p50, p99;
//! - the server's peak memory over all of it;
//! - the single patches again on a SQLite file in tmpfs (no disk), and on the in-memory
//!   emulator of [`roster_bench::emulator`] (no database): the reference points of the
//!   request path;
//!
//! and then, with the server stopped, the raw limit: the same row changes written
//! straight into the same database by the simplest program, without HTTP (SQLite:
//! prepared statements, one transaction per 1,000 users, WAL and `synchronous=FULL` as
//! Roster; PostgreSQL: one set-based statement per table per 1,000 users), and prints
//! Roster's throughput as a ratio of it. Results go to standard output as Markdown.
#![allow(
    clippy::print_stdout,
    clippy::disallowed_methods,
    clippy::cast_precision_loss,
    reason = "a benchmark prints, reads the wall clock and divides counts"
)]

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use roster_bench::loads::{BATCH, Load, batch_load, scalar, seeded, single_load};
use roster_bench::{Client, PgSchema, Server, login, ms, restyle, vacuum_if_postgres};
use serde_json::json;
use sqlx::{Connection, PgConnection};

#[derive(Debug, Parser)]
struct Args {
    /// The roster binary to measure.
    #[arg(long, default_value = "target/release/roster")]
    roster: String,
    /// Users in the store.
    #[arg(long, default_value_t = 20_000)]
    users: usize,
    /// Seconds each load runs.
    #[arg(long, default_value_t = 15)]
    seconds: u64,
    /// A PostgreSQL database to measure too (in a schema of its own, dropped afterwards).
    #[arg(long, env = "ROSTER_BENCH_POSTGRES_URL")]
    postgres: Option<String>,
}

/// Searches and loads, one after another, until `stop`.
async fn reads(client: Client, users: usize, stop: Arc<AtomicBool>) -> anyhow::Result<Load> {
    let mut load = Load::default();
    let mut k = 0usize;
    let started = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        let i = (k * 7_919) % users;
        let t = Instant::now();
        if k.is_multiple_of(2) {
            client
                .send(
                    reqwest::Method::POST,
                    "/v2/mgmt/user/search",
                    &json!({"emails": [login(i)], "limit": 10}),
                )
                .await?;
        } else {
            client
                .send(
                    reqwest::Method::GET,
                    &format!("/v1/mgmt/user?loginId={}", login(i)),
                    &json!({}),
                )
                .await?;
        }
        load.latencies.push(t.elapsed());
        load.done += 1;
        k += 1;
    }
    load.took = started.elapsed();
    Ok(load)
}

/// Single patches at 1, 16 and 64 clients through `client`, on a store seeded as
/// [`measure`] seeds.
async fn singles(args: &Args, client: &Client) -> anyhow::Result<Vec<(usize, Load)>> {
    let mut singles = Vec::new();
    for clients in [1, 16, 64] {
        singles.push((
            clients,
            single_load(client, args.users, clients, args.seconds).await?,
        ));
    }
    Ok(singles)
}

/// Single patches on a SQLite file in memory (tmpfs, `/dev/shm`), where a commit's
/// `fsync` returns at once: Roster's whole request path with the same connections and
/// group commit as on disk, but no disk, the nearest this machine has to an in-memory
/// emulator. (`sqlite::memory:` is no such measure: it has one connection, for reads
/// and writes alike.)
async fn singles_in_memory(args: &Args) -> anyhow::Result<Vec<(usize, Load)>> {
    let dir = tempfile::tempdir_in("/dev/shm")?;
    let db = format!("sqlite://{}", dir.path().join("limits.db").display());
    let server = Server::start(&args.roster, &db, &[])?;
    let client = server.client()?;
    client.seed_catalog().await?;
    client.seed_members(args.users).await?;
    singles(args, &client).await
}

/// Single patches at 1, 16 and 64 clients on the in-memory emulator, holding the users
/// a store is seeded with: what this machine serves with no database at all.
async fn singles_on_emulator(args: &Args) -> anyhow::Result<Vec<(usize, Load)>> {
    let client = Client::new(&roster_bench::emulator::start(args.users)?)?;
    singles(args, &client).await
}

/// What Roster did on one backend.
struct Measured {
    scalar: Load,
    lists: Load,
    reads: Load,
    singles: Vec<(usize, Load)>,
    peak_mib: f64,
}

async fn measure(args: &Args, db: &str) -> anyhow::Result<Measured> {
    let (server, client) = seeded(&args.roster, db, args.users).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let reader = tokio::spawn(reads(client.clone(), args.users, stop.clone()));
    let scalar = batch_load(&client, args.users, 2, args.seconds, scalar).await?;
    stop.store(true, Ordering::Relaxed);
    let reads = reader.await??;
    vacuum_if_postgres(db).await?;
    let lists = batch_load(&client, args.users, 2, args.seconds, restyle).await?;
    let singles = singles(args, &client).await?;
    Ok(Measured {
        scalar,
        lists,
        reads,
        singles,
        peak_mib: server.peak_mib()?,
    })
}

/// The users' pks by index, and for each user the pk of its tenant `t{i % 10}`; the
/// project roles' pks by name; each tenant's `editor` role pk by tenant pk.
struct Keys {
    users: Vec<i64>,
    user_tenant: Vec<i64>,
    roles: HashMap<String, i64>,
    editors: HashMap<i64, i64>,
}

impl Keys {
    /// The role rows of user `i` in round `round`, as the restyle sets them: project
    /// roles, and the tenant role.
    fn roles_of(&self, i: usize, round: usize) -> (Vec<i64>, i64) {
        let tenant = self.user_tenant[i];
        if round.is_multiple_of(2) {
            (
                vec![self.roles["member"], self.roles["reader"]],
                self.editors[&tenant],
            )
        } else {
            (vec![self.roles["member"]], self.roles["viewer"])
        }
    }
}

fn keys_from(
    rows: Vec<(String, i64)>,
    tenants: Vec<(String, i64)>,
    roles: Vec<(String, Option<i64>, i64)>,
    users: usize,
) -> anyhow::Result<Keys> {
    let by_login: HashMap<String, i64> = rows.into_iter().collect();
    let tenant_pk: HashMap<String, i64> = tenants.into_iter().collect();
    let mut project_roles = HashMap::new();
    let mut editors = HashMap::new();
    for (name, tenant, pk) in roles {
        match tenant {
            None => {
                project_roles.insert(name, pk);
            }
            Some(t) => {
                editors.insert(t, pk);
            }
        }
    }
    let mut keys = Keys {
        users: Vec::with_capacity(users),
        user_tenant: Vec::with_capacity(users),
        roles: project_roles,
        editors,
    };
    for i in 0..users {
        keys.users.push(
            *by_login
                .get(&login(i))
                .ok_or_else(|| anyhow::anyhow!("no user {i}"))?,
        );
        keys.user_tenant.push(tenant_pk[&format!("t{}", i % 10)]);
    }
    Ok(keys)
}

const KEYS_USERS: &str = "SELECT l.login_id, l.user_pk FROM user_login_ids l";
const KEYS_TENANTS: &str = "SELECT id, pk FROM tenants";
const KEYS_ROLES: &str = "SELECT name, tenant_pk, pk FROM roles";

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Rows per second the simplest program writes into the SQLite file (rusqlite, no
/// async runtime in between): prepared statements, one transaction per 1,000 users,
/// WAL and `synchronous=FULL` as Roster.
fn raw_sqlite(path: &str, seconds: u64, users: usize, lists: bool) -> anyhow::Result<f64> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    let pairs = |conn: &rusqlite::Connection, sql: &str| -> anyhow::Result<Vec<(String, i64)>> {
        let mut st = conn.prepare(sql)?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    let rows = pairs(&conn, KEYS_USERS)?;
    let tenants = pairs(&conn, KEYS_TENANTS)?;
    let roles: Vec<(String, Option<i64>, i64)> = {
        let mut st = conn.prepare(KEYS_ROLES)?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let keys = keys_from(rows, tenants, roles, users)?;
    let started = Instant::now();
    let (mut done, mut round) = (0usize, 1_000_000usize);
    while started.elapsed() < Duration::from_secs(seconds) {
        let range = (done / BATCH) % (users / BATCH);
        round += 1;
        let tx = conn.transaction()?;
        {
            let mut scalar = tx.prepare_cached(
                "UPDATE users SET name = ?1, given_name = ?2, status = ?3, verified_email = ?4, \
                 modified_ms = ?5, version = version + 1 WHERE pk = ?6",
            )?;
            let mut attrs = tx.prepare_cached(
                "UPDATE users SET name = ?1, custom_attributes = ?2, modified_ms = ?3, \
                 version = version + 1 WHERE pk = ?4",
            )?;
            let mut clear_roles = tx.prepare_cached("DELETE FROM user_roles WHERE user_pk = ?1")?;
            let mut add_role = tx.prepare_cached(
                "INSERT INTO user_roles (user_pk, role_pk, position) VALUES (?1, ?2, ?3)",
            )?;
            let mut clear_tenant_roles =
                tx.prepare_cached("DELETE FROM user_tenant_roles WHERE user_pk = ?1")?;
            let mut add_tenant_role = tx.prepare_cached(
                "INSERT INTO user_tenant_roles (user_pk, tenant_pk, role_pk, position) \
                 VALUES (?1, ?2, ?3, 0)",
            )?;
            for i in range * BATCH..(range + 1) * BATCH {
                let pk = keys.users[i];
                let name = format!("User {i} r{round}");
                if lists {
                    let theme = if round.is_multiple_of(2) {
                        "dark"
                    } else {
                        "light"
                    };
                    let json = json!({"theme": theme, "score": round}).to_string();
                    attrs.execute(rusqlite::params![name, json, now_ms(), pk])?;
                    let (project, tenant_role) = keys.roles_of(i, round);
                    clear_roles.execute([pk])?;
                    for (n, role) in project.iter().enumerate() {
                        add_role.execute(rusqlite::params![pk, role, n as i64])?;
                    }
                    clear_tenant_roles.execute([pk])?;
                    add_tenant_role.execute(rusqlite::params![
                        pk,
                        keys.user_tenant[i],
                        tenant_role
                    ])?;
                } else {
                    let status = if round.is_multiple_of(2) {
                        "enabled"
                    } else {
                        "disabled"
                    };
                    scalar.execute(rusqlite::params![
                        name,
                        format!("G{round}"),
                        status,
                        round.is_multiple_of(2),
                        now_ms(),
                        pk
                    ])?;
                }
            }
        }
        tx.commit()?;
        done += BATCH;
    }
    Ok(done as f64 / started.elapsed().as_secs_f64())
}

/// Rows per second the simplest program writes into the PostgreSQL schema: one
/// set-based statement per table per 1,000 users, one transaction per 1,000.
async fn raw_postgres(url: &str, seconds: u64, users: usize, lists: bool) -> anyhow::Result<f64> {
    vacuum_if_postgres(url).await?;
    let mut conn = PgConnection::connect(url).await?;
    let rows: Vec<(String, i64)> = sqlx::query_as(KEYS_USERS).fetch_all(&mut conn).await?;
    let tenants: Vec<(String, i64)> = sqlx::query_as(KEYS_TENANTS).fetch_all(&mut conn).await?;
    let roles: Vec<(String, Option<i64>, i64)> =
        sqlx::query_as(KEYS_ROLES).fetch_all(&mut conn).await?;
    let keys = keys_from(rows, tenants, roles, users)?;
    let started = Instant::now();
    let (mut done, mut round) = (0usize, 1_000_000usize);
    while started.elapsed() < Duration::from_secs(seconds) {
        let range = (done / BATCH) % (users / BATCH);
        round += 1;
        let ids: Vec<usize> = (range * BATCH..(range + 1) * BATCH).collect();
        let pks: Vec<i64> = ids.iter().map(|&i| keys.users[i]).collect();
        let names: Vec<String> = ids.iter().map(|i| format!("User {i} r{round}")).collect();
        let mut tx = conn.begin().await?;
        if lists {
            let attrs = json!({"theme": if round.is_multiple_of(2) { "dark" } else { "light" }, "score": round}).to_string();
            sqlx::query("UPDATE users SET name = v.n, custom_attributes = $3::jsonb, modified_ms = $4, version = users.version + 1 FROM unnest($1::bigint[], $2::text[]) AS v(pk, n) WHERE users.pk = v.pk")
                .bind(&pks).bind(&names).bind(attrs).bind(now_ms()).execute(&mut *tx).await?;
            let (mut ru, mut rr, mut rp) = (Vec::new(), Vec::new(), Vec::new());
            let (mut tu, mut tt, mut tr) = (Vec::new(), Vec::new(), Vec::new());
            for &i in &ids {
                let (project, tenant_role) = keys.roles_of(i, round);
                for (n, role) in project.iter().enumerate() {
                    ru.push(keys.users[i]);
                    rr.push(*role);
                    rp.push(n as i64);
                }
                tu.push(keys.users[i]);
                tt.push(keys.user_tenant[i]);
                tr.push(tenant_role);
            }
            sqlx::query("DELETE FROM user_roles WHERE user_pk = ANY($1)")
                .bind(&pks)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO user_roles (user_pk, role_pk, position) SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])")
                .bind(&ru).bind(&rr).bind(&rp).execute(&mut *tx).await?;
            sqlx::query("DELETE FROM user_tenant_roles WHERE user_pk = ANY($1)")
                .bind(&pks)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO user_tenant_roles (user_pk, tenant_pk, role_pk, position) SELECT u, t, r, 0 FROM unnest($1::bigint[], $2::bigint[], $3::bigint[]) AS v(u, t, r)")
                .bind(&tu).bind(&tt).bind(&tr).execute(&mut *tx).await?;
        } else {
            sqlx::query("UPDATE users SET name = v.n, given_name = $3, status = $4, verified_email = $5, modified_ms = $6, version = users.version + 1 FROM unnest($1::bigint[], $2::text[]) AS v(pk, n) WHERE users.pk = v.pk")
                .bind(&pks)
                .bind(&names)
                .bind(format!("G{round}"))
                .bind(if round.is_multiple_of(2) { "enabled" } else { "disabled" })
                .bind(round.is_multiple_of(2))
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        done += BATCH;
    }
    Ok(done as f64 / started.elapsed().as_secs_f64())
}

fn report(label: &str, mut m: Measured, raw_scalar: f64, raw_lists: f64) {
    println!("\n### {label}\n");
    println!(
        "| load (2 clients, 1,000-user batches) | Roster users/s | p50 | p99 | raw limit rows/s | Roster / raw |"
    );
    println!("|---|---|---|---|---|---|");
    for (name, load, raw) in [
        (
            "scalars (name, given name, status, verified email)",
            &mut m.scalar,
            raw_scalar,
        ),
        (
            "lists (roles, a tenant's roles, custom attributes)",
            &mut m.lists,
            raw_lists,
        ),
    ] {
        println!(
            "| {name} | {:.0} | {} | {} | {raw:.0} | {:.2} |",
            load.rate(),
            ms(load.p(50.0)),
            ms(load.p(99.0)),
            load.rate() / raw
        );
    }
    println!("\n| single patches | patches/s | p50 | p99 |");
    println!("|---|---|---|---|");
    for (clients, load) in &mut m.singles {
        println!(
            "| {clients} client{} | {:.0} | {} | {} |",
            if *clients == 1 { "" } else { "s" },
            load.rate(),
            ms(load.p(50.0)),
            ms(load.p(99.0))
        );
    }
    let (p50, p99) = (m.reads.p(50.0), m.reads.p(99.0));
    println!(
        "\nReads under the scalar batch load (searches and loads, one client): {} of them, p50 {}, p99 {}. The server's peak memory over every load: {:.0} MiB.",
        m.reads.done,
        ms(p50),
        ms(p99),
        m.peak_mib
    );
}

/// The single-patch loads of a reference point (`title`), each beside the durable
/// SQLite file's rate at the same number of clients as a ratio of it.
fn against_durable(title: &str, mut loads: Vec<(usize, Load)>, durable: &[f64]) {
    println!("\n### {title}\n");
    println!("| single patches | patches/s | p50 | p99 | the SQLite file / this |");
    println!("|---|---|---|---|---|");
    for ((clients, load), file) in loads.iter_mut().zip(durable) {
        println!(
            "| {clients} client{} | {:.0} | {} | {} | {:.2} |",
            if *clients == 1 { "" } else { "s" },
            load.rate(),
            ms(load.p(50.0)),
            ms(load.p(99.0)),
            file / load.rate()
        );
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    println!(
        "Roster against the raw limit of its database: {} users, each load {} s, 2 cores.",
        args.users, args.seconds
    );
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("limits.db").display().to_string();
    let m = measure(&args, &format!("sqlite://{path}")).await?;
    let raw_scalar = raw_sqlite(&path, args.seconds, args.users, false)?;
    let raw_lists = raw_sqlite(&path, args.seconds, args.users, true)?;
    let durable: Vec<f64> = m.singles.iter().map(|(_, l)| l.rate()).collect();
    report(
        "SQLite file (WAL, synchronous=FULL)",
        m,
        raw_scalar,
        raw_lists,
    );

    let memory = singles_in_memory(&args).await?;
    against_durable(
        "The request path without the disk: single patches on a SQLite file in tmpfs",
        memory,
        &durable,
    );
    let emulated = singles_on_emulator(&args).await?;
    against_durable(
        "The in-memory emulator (`bench/src/emulator.rs`): single patches, nothing durable",
        emulated,
        &durable,
    );

    if let Some(base) = &args.postgres {
        let schema = PgSchema::new(base, "roster_limits");
        let url = schema.url.clone();
        let outcome = async {
            let m = measure(&args, &url).await?;
            let raw_scalar = raw_postgres(&url, args.seconds, args.users, false).await?;
            let raw_lists = raw_postgres(&url, args.seconds, args.users, true).await?;
            report("PostgreSQL", m, raw_scalar, raw_lists);
            anyhow::Ok(())
        }
        .await;
        schema.drop().await?;
        outcome?;
    }
    Ok(())
}
