//! `roster`: parse the command line and hand over to the library.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use roster_api::{AppState, Limits};
use roster_domain::ids::{ProjectId, RandomIds};
use roster_domain::keys::MIN_EXPOSED_KEY_CHARS;
use roster_domain::names::Label;
use roster_domain::time::{Clock, SystemClock};
use roster_server::cli::{Cli, Command, ProjectCommand, ServeArgs};
use roster_server::serve::{ConnectionLimits, heavy_runtime, open_file_limit, serve};
use roster_server::startup::{Bootstrap, bootstrap, open_store, redact, shutdown_signal};
use roster_server::telemetry;

/// Connections `project create` opens.
const CLI_POOL_SIZE: u32 = 1;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    match cli.command {
        Command::Serve(args) => run_serve(args).await,
        Command::Copy(args) => roster_server::copy::run(args).await,
        Command::Users(command) => roster_server::bulk::run(command).await,
        Command::Seed { file, database } => {
            let store = open_store(&database.database_url, CLI_POOL_SIZE).await?;
            let applied = roster_server::seed::apply_file(
                store.as_ref(),
                &file,
                false,
                &RandomIds,
                &SystemClock,
            )
            .await?;
            print_line(&format!("{}: {applied}", file.display()));
            Ok(())
        }
        Command::Export {
            project,
            output,
            database,
        } => {
            let store = open_store(&database.database_url, CLI_POOL_SIZE).await?;
            let only = project
                .as_deref()
                .map(ProjectId::parse)
                .transpose()
                .map_err(|e| anyhow::anyhow!("--project: {}", e.reason))?;
            let doc = roster_server::seed::export::export(store.as_ref(), only.as_ref()).await?;
            let mut text = serde_json::to_string_pretty(&doc)?;
            text.push('\n');
            match output {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(text.as_bytes())?;
                }
            }
            Ok(())
        }
        Command::Project(ProjectCommand::Create { name, database }) => {
            let store = open_store(&database.database_url, CLI_POOL_SIZE).await?;
            let name = Label::parse(&name).map_err(|e| anyhow::anyhow!("--name: {e}"))?;
            let id = ProjectId::generate(&RandomIds);
            store.create_project(&id, &name, SystemClock.now()).await?;
            print_line(id.as_str());
            Ok(())
        }
        Command::Key(command) => roster_server::keys::run(command, &mut std::io::stdout()).await,
    }
}

/// The commands' one line of output (an ID or a key), for scripts to capture.
#[allow(clippy::print_stdout)]
fn print_line(s: &str) {
    println!("{s}");
}

async fn run_serve(args: ServeArgs) -> anyhow::Result<()> {
    let given =
        Bootstrap::from_options(args.project_id.as_deref(), args.management_key.as_deref())?;
    if let Some(b) = &given
        && !b.key.is_strong()
        && !args.listen.ip().is_loopback()
    {
        anyhow::bail!(
            "ROSTER_MANAGEMENT_KEY is shorter than {MIN_EXPOSED_KEY_CHARS} characters, too easy \
             to guess for a server listening on {}: use a longer key (for example \
             `openssl rand -hex 32`), or listen on 127.0.0.1 only",
            args.listen
        );
    }
    let store = open_store(&args.database.database_url, args.pool_size).await?;
    // The seed first: a store it gives projects gets no first-start project of its own.
    if let Some(seed) = &args.seed {
        let exposed = !args.listen.ip().is_loopback();
        let applied = roster_server::seed::apply_file(
            store.as_ref(),
            seed,
            exposed,
            &RandomIds,
            &SystemClock,
        )
        .await?;
        tracing::info!(seed = %seed.display(), %applied, "applied the seed");
    }
    bootstrap(
        store.as_ref(),
        given.as_ref(),
        &RandomIds,
        &SystemClock,
        &mut std::io::stdout(),
    )
    .await?;
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(roster_server::tls::acceptor(cert, key)?),
        _ => None,
    };
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let limits = Limits {
        max_body_bytes: args.max_body_bytes,
        max_batch_items: args.max_batch_items,
        max_in_flight: usize::try_from(args.max_requests).unwrap_or(usize::MAX),
        request_timeout: Duration::from_secs(args.request_timeout),
        rate_limit: args.rate_limit,
        ..Limits::default()
    };
    let mut max_connections = usize::try_from(args.max_connections).unwrap_or(usize::MAX);
    if let Some(files) = open_file_limit()
        && files < max_connections
    {
        tracing::warn!(
            max_connections,
            open_file_limit = files + 64,
            "--max-connections is above what the open-file limit allows; serving at most {files}"
        );
        max_connections = files.max(1);
    }
    let connections = ConnectionLimits {
        header_timeout: Duration::from_secs(args.header_timeout),
        max_connections,
        shutdown_timeout: Duration::from_secs(args.shutdown_timeout),
    };
    let heavy = heavy_runtime()?;
    let retention = Duration::from_secs(args.audit_retention_days.saturating_mul(24 * 3600));
    let state = AppState::new(
        store.clone(),
        Arc::new(SystemClock),
        Arc::new(RandomIds),
        limits,
    )
    .with_heavy_runtime(heavy.handle().clone())
    .with_audit_retention(retention);
    if retention.is_zero() {
        tracing::warn!(
            "the audit trail is off (--audit-retention-days 0): changes are not recorded"
        );
    } else {
        tokio::spawn(roster_server::prune::prune_forever(
            store.clone(),
            Arc::new(SystemClock),
            retention,
        ));
    }
    let scheme = if tls.is_some() { "https" } else { "http" };
    if tls.is_none() && !addr.ip().is_loopback() {
        tracing::warn!(
            "serving plain HTTP on {addr}, beyond loopback: management keys cross the \
             network in clear; give --tls-cert and --tls-key, or put a TLS proxy in front"
        );
    }
    tracing::info!(
        store = store.backend(),
        database = %redact(&args.database.database_url),
        console = %format!("{scheme}://{addr}/console/"),
        "roster listening on {scheme}://{addr}"
    );
    let served = serve(listener, state, connections, tls, shutdown_signal()).await;
    heavy.shutdown_background();
    served
}
