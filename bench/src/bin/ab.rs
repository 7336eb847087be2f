//! `roster-ab`: two or more `roster` binaries measured alternately on the same loads,
//! so that a change is measured against its base side by side, on a machine whose speed
//! drifts.
//!
//! Each round runs every binary in turn, each on a fresh store (a SQLite file, or a
//! fresh schema of `--postgres`) seeded as `roster-limits` seeds it (analyzed once while
//! the role tables are empty, vacuumed before each load), with the two batch loads of
//! `roster-limits`: 2 clients sending 1,000-user batches across the store, items that
//! change scalars, then items that change lists. One line per binary and round, then
//! each binary's median over the rounds, as Markdown.
#![allow(clippy::print_stdout, reason = "a benchmark prints its results")]

use clap::Parser;
use roster_bench::loads::{Load, batch_load, scalar, seeded};
use roster_bench::{PgSchema, ms, restyle, vacuum_if_postgres};

#[derive(Debug, Parser)]
struct Args {
    /// The roster binaries to measure (two or more: a base, then changes).
    #[arg(required = true, num_args = 2..)]
    roster: Vec<String>,
    /// Rounds: each runs every binary once, in the order given.
    #[arg(long, default_value_t = 4)]
    rounds: usize,
    /// Users in each store.
    #[arg(long, default_value_t = 20_000)]
    users: usize,
    /// Seconds each load runs.
    #[arg(long, default_value_t = 6)]
    seconds: u64,
    /// Measure on this PostgreSQL database (a fresh schema per run, dropped after it)
    /// instead of a SQLite file.
    #[arg(long)]
    postgres: Option<String>,
}

/// A binary's two loads in one round.
struct Run {
    scalar: Load,
    lists: Load,
}

async fn run(args: &Args, bin: &str, db: &str) -> anyhow::Result<Run> {
    let (_server, client) = seeded(bin, db, args.users).await?;
    let scalar = batch_load(&client, args.users, 2, args.seconds, scalar).await?;
    vacuum_if_postgres(db).await?;
    let lists = batch_load(&client, args.users, 2, args.seconds, restyle).await?;
    Ok(Run { scalar, lists })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    println!(
        "{} on {}: {} users, each load {} s, {} rounds.\n",
        args.roster.join(" against "),
        if args.postgres.is_some() {
            "PostgreSQL"
        } else {
            "a SQLite file"
        },
        args.users,
        args.seconds,
        args.rounds
    );
    println!("| round | roster | scalars users/s | p50 | p99 | lists users/s | p50 | p99 |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut rates: Vec<(Vec<f64>, Vec<f64>)> = vec![(Vec::new(), Vec::new()); args.roster.len()];
    for round in 1..=args.rounds {
        for (bin, rate) in args.roster.iter().zip(&mut rates) {
            let mut m = match &args.postgres {
                Some(base) => {
                    let schema = PgSchema::new(base, "roster_ab");
                    let m = run(&args, bin, &schema.url).await;
                    schema.drop().await?;
                    m?
                }
                None => {
                    let dir = tempfile::tempdir()?;
                    let path = dir.path().join("ab.db").display().to_string();
                    run(&args, bin, &format!("sqlite://{path}")).await?
                }
            };
            println!(
                "| {round} | {bin} | {:.0} | {} | {} | {:.0} | {} | {} |",
                m.scalar.rate(),
                ms(m.scalar.p(50.0)),
                ms(m.scalar.p(99.0)),
                m.lists.rate(),
                ms(m.lists.p(50.0)),
                ms(m.lists.p(99.0)),
            );
            rate.0.push(m.scalar.rate());
            rate.1.push(m.lists.rate());
        }
    }
    println!("\n| roster | scalars users/s, median | lists users/s, median | against the first |");
    println!("|---|---|---|---|");
    let medians: Vec<(f64, f64)> = rates
        .into_iter()
        .map(|(s, l)| (median(s), median(l)))
        .collect();
    let (base_s, base_l) = medians[0];
    for (bin, (s, l)) in args.roster.iter().zip(&medians) {
        println!(
            "| {bin} | {s:.0} | {l:.0} | {:+.1}% / {:+.1}% |",
            100.0 * (s / base_s - 1.0),
            100.0 * (l / base_l - 1.0)
        );
    }
    Ok(())
}
