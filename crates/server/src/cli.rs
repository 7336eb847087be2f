//! The command line. Every `serve` flag has an environment variable; the database URL
//! defaults to `sqlite://roster.db` in every command.

use std::net::SocketAddr;

use clap::{Args, Parser, Subcommand};
use roster_api::rate::RateLimit;

/// What `roster --help` says Roster is (clap's bare `about` would print the binary
/// crate's description, which is written for developers).
const ABOUT: &str = "Roster: a self-hosted user-management server that speaks Descope's \
    Management API, so the official Descope SDKs work against it by changing only their \
    base URL.";

const LONG_ABOUT: &str = "Roster: a self-hosted user-management server that speaks Descope's \
    Management API, so the official Descope SDKs work against it by changing only their \
    base URL.\n\n\
    One binary on an embedded SQLite file, or several stateless nodes on one PostgreSQL \
    database. Its heart is PATCH /v1/mgmt/user/patch/batch: many users patched in one \
    request, each atomically, with a result per user.";

const EXAMPLES: &str = "Examples:
  roster serve                                   serve on 127.0.0.1:8080, data in ./roster.db
  roster serve --database-url postgres://roster@db:5432/roster --listen 0.0.0.0:8080
  roster project create --name staging           print a new project's ID
  roster key create --project P2abc... --name ci print a new management key, once
  roster copy --from sqlite://roster.db --to postgres://roster@db:5432/roster

Every serve flag also reads an environment variable (ROSTER_LISTEN, ROSTER_DATABASE_URL...).
Documentation: README.md and docs/ in the source repository.";

#[derive(Debug, Parser)]
#[command(name = "roster", version, about = ABOUT, long_about = LONG_ABOUT, after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// How log lines are written on standard error: `text` for people, `json` (one
    /// object per line) for log collectors.
    #[arg(long, global = true, env = "ROSTER_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// The format of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server.
    ///
    /// On first start with an empty store, it creates a project and a management key and
    /// prints them once.
    ///
    /// Example: roster serve --listen 0.0.0.0:8080 --database-url sqlite:///var/lib/roster/roster.db
    Serve(ServeArgs),
    /// Manage projects.
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Manage management keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Apply a seed document (projects with their keys, permissions, tenants, roles,
    /// attribute definitions and users) to a store: what is missing is created, what
    /// differs is changed, the rest is left alone, so running it twice changes nothing.
    ///
    /// Example: roster seed dev-seed.json --database-url sqlite://roster.db
    Seed {
        /// The seed document (JSON; `roster export` writes one).
        file: std::path::PathBuf,
        #[command(flatten)]
        database: Database,
    },
    /// Write a store's projects as a seed document (IDs included; keys and passwords
    /// are not exported), so that `roster seed` of it reproduces them.
    ///
    /// Example: roster export --output seed.json --database-url sqlite://roster.db
    Export {
        /// Only this project.
        #[arg(long)]
        project: Option<String>,
        /// The file to write; standard output without it.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
        #[command(flatten)]
        database: Database,
    },
    /// Bulk work on a project's users through the management API, against Roster or
    /// Descope.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Copy a whole store into an empty one: SQLite to PostgreSQL, or back.
    ///
    /// Shows its progress on a terminal.
    ///
    /// Example: roster copy --from sqlite://roster.db --to postgres://roster@db:5432/roster
    Copy(CopyArgs),
}

#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The store to copy, e.g. sqlite://roster.db. It is only read.
    #[arg(long)]
    pub from: String,
    /// The store to fill, e.g. postgres://roster@db.example.com:5432/roster. It must be
    /// empty; it is created and migrated if needed.
    #[arg(long)]
    pub to: String,
}

#[derive(Debug, Args)]
pub struct Database {
    /// `sqlite://PATH` (created if missing), `sqlite::memory:` for a throwaway store,
    /// `postgres://USER@HOST:PORT/DATABASE` for PostgreSQL (`postgresql://` too).
    #[arg(
        long,
        env = "ROSTER_DATABASE_URL",
        default_value = "sqlite://roster.db"
    )]
    pub database_url: String,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "ROSTER_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub database: Database,
    /// PostgreSQL: the most connections this node opens (SQLite ignores it).
    #[arg(long, env = "ROSTER_POOL_SIZE", default_value_t = roster_store_postgres::DEFAULT_POOL_SIZE,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub pool_size: u32,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "ROSTER_MAX_BODY_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Most items accepted in one batch request.
    #[arg(long, env = "ROSTER_MAX_BATCH_ITEMS", default_value_t = 10_000)]
    pub max_batch_items: usize,
    /// Seconds a client has to send a request's head; also how long a kept-alive
    /// connection may sit idle between requests.
    #[arg(long, env = "ROSTER_HEADER_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout: u64,
    /// Seconds a request may take, body included; beyond, it is answered 504.
    #[arg(long, env = "ROSTER_REQUEST_TIMEOUT", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub request_timeout: u64,
    /// Connections served at once; beyond, requests are answered 429 at once.
    #[arg(long, env = "ROSTER_MAX_CONNECTIONS", default_value_t = 4096,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_connections: u64,
    /// API requests handled at once (health checks aside); beyond, 429 at once.
    #[arg(long, env = "ROSTER_MAX_REQUESTS", default_value_t = 512,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub max_requests: u64,
    /// Seconds a shutdown waits for requests in flight.
    #[arg(long, env = "ROSTER_SHUTDOWN_TIMEOUT", default_value_t = 20)]
    pub shutdown_timeout: u64,
    /// Management requests each project may make per window, like Descope's limits:
    /// `N/WINDOW` (`200/60s`, `100/1m`). Beyond, 429 with Retry-After. Off by default.
    #[arg(long, env = "ROSTER_RATE_LIMIT", value_parser = RateLimit::parse)]
    pub rate_limit: Option<RateLimit>,
    /// Days audit records are kept (Descope's audit search covers 30); older ones are
    /// pruned in the background. 0 turns the audit trail off: changes made through the
    /// API are not recorded, and nothing is pruned.
    #[arg(long, env = "ROSTER_AUDIT_RETENTION_DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=36_500))]
    pub audit_retention_days: u64,
    /// Apply this seed document at start-up, before serving (idempotent: what the
    /// store already holds as the file says is left alone). See `roster seed`.
    #[arg(long, env = "ROSTER_SEED", value_name = "FILE")]
    pub seed: Option<std::path::PathBuf>,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, env = "ROSTER_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<std::path::PathBuf>,
    /// The private key of --tls-cert (PEM).
    #[arg(long, env = "ROSTER_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<std::path::PathBuf>,
    /// With ROSTER_MANAGEMENT_KEY: make sure this project exists at start-up.
    #[arg(long, env = "ROSTER_PROJECT_ID", hide = true)]
    pub project_id: Option<String>,
    /// With ROSTER_PROJECT_ID: make sure this key opens that project at start-up.
    #[arg(
        long,
        env = "ROSTER_MANAGEMENT_KEY",
        hide = true,
        hide_env_values = true
    )]
    pub management_key: Option<String>,
}

/// A management API to work through, named the way the Descope SDKs name it.
#[derive(Debug, Args)]
pub struct Remote {
    /// The server: a Roster (`http://127.0.0.1:8080`) or Descope (`https://api.descope.com`).
    #[arg(
        long,
        env = "DESCOPE_BASE_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub base_url: String,
    /// The project whose users to work on.
    #[arg(long, env = "DESCOPE_PROJECT_ID")]
    pub project_id: String,
    /// A management key of that project.
    #[arg(long, env = "DESCOPE_MANAGEMENT_KEY", hide_env_values = true)]
    pub management_key: String,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Write every user of the project, read page by page through the search endpoint,
    /// as JSON Lines (each user as the API shows it) or CSV (lists and objects as JSON
    /// in their cells). Shows its progress on a terminal.
    ///
    /// Example: roster users export --format csv --output users.csv (with DESCOPE_PROJECT_ID
    /// and DESCOPE_MANAGEMENT_KEY set)
    Export {
        #[command(flatten)]
        remote: Remote,
        /// `jsonl` or `csv`.
        #[arg(long, value_enum, default_value_t = crate::bulk::export::Format::Jsonl)]
        format: crate::bulk::export::Format,
        /// The file to write; standard output without it.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
        /// Export test users too.
        #[arg(long)]
        with_test_users: bool,
        /// Users asked for per page (a server may send fewer).
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        page_size: u32,
    },
    /// Patch users from a file through `patch/batch`: batches in flight at once, a
    /// progress bar, failed users written with their reason, a dry run, and a journal
    /// so that an interrupted run resumes without sending an answered batch again.
    /// Each item names its user (`loginId` or `userId`) and the fields to change, as
    /// in `patch/batch`.
    ///
    /// Example: roster users patch --file restyle.jsonl --batch-size 1000 --in-flight 4
    Patch(SendArgs),
    /// Create users from a file through `create/batch`, as `patch` does (a file written
    /// by `roster users export` imports as it is).
    ///
    /// Example: roster users import --file users.csv --dry-run
    Import(SendArgs),
}

/// What `roster users patch` and `import` take.
#[derive(Debug, Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub remote: Remote,
    /// The users: JSON Lines (one item per line) or CSV (a header of field names).
    #[arg(long)]
    pub file: std::path::PathBuf,
    /// `auto` (CSV for a `.csv` file, else JSON Lines), `jsonl` or `csv`.
    #[arg(long, value_enum, default_value_t = crate::bulk::input::InputFormat::Auto)]
    pub format: crate::bulk::input::InputFormat,
    /// Users per request.
    #[arg(long, default_value_t = 1000, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=10_000))]
    pub batch_size: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=64))]
    pub in_flight: usize,
    /// Where failed users go, each with its reason (default: FILE.failures.jsonl).
    #[arg(long)]
    pub failures: Option<std::path::PathBuf>,
    /// The journal that makes a run resumable (default: FILE.state). Run the same
    /// command again after an interruption: batches already answered are not sent again.
    #[arg(long)]
    pub state: Option<std::path::PathBuf>,
    /// Check the file and say what would be sent, without sending anything.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project and print its ID.
    ///
    /// Example: roster project create --name staging
    Create {
        /// The project's name.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        database: Database,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a management key for a project and print it. It is shown only this once.
    ///
    /// Example: roster key create --project P2abc... --name ci --expires 30d --read-only
    Create {
        /// The project the key opens.
        #[arg(long)]
        project: String,
        /// A name to tell keys apart.
        #[arg(long, default_value = "cli")]
        name: String,
        /// The key stops working after this long: `90m`, `12h`, `30d`, `1y`...
        #[arg(long, value_parser = humantime::parse_duration)]
        expires: Option<std::time::Duration>,
        /// The key reads everything and changes nothing (a change is 403 `E990403`).
        #[arg(long)]
        read_only: bool,
        /// Accept the key only from this address or CIDR range (repeat for more):
        /// `203.0.113.7`, `10.0.0.0/8`. Without it, from anywhere.
        #[arg(long = "permitted-ip", value_name = "ADDRESS_OR_CIDR")]
        permitted_ips: Vec<String>,
        #[command(flatten)]
        database: Database,
    },
    /// List a project's keys (never the keys themselves): ID, name, when made, when they
    /// expire, whether they are revoked, what they may do and from where.
    ///
    /// Example: roster key list --project P2abc...
    List {
        /// The project whose keys to list.
        #[arg(long)]
        project: String,
        #[command(flatten)]
        database: Database,
    },
    /// Revoke a key: it stops working at once, on every node.
    ///
    /// Example: roster key revoke --project P2abc... K2abc...
    Revoke {
        /// The project the key opens.
        #[arg(long)]
        project: String,
        /// The key's ID, as `roster key list` shows it (or `--id KEY_ID`).
        #[arg(value_name = "KEY_ID", required_unless_present = "id_flag")]
        id: Option<String>,
        /// The key's ID, as a flag (the form earlier versions took).
        #[arg(
            long = "id",
            id = "id_flag",
            value_name = "KEY_ID",
            conflicts_with = "id"
        )]
        id_flag: Option<String>,
        #[command(flatten)]
        database: Database,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Cli::command().debug_assert();
    }

    /// `roster --help` says what Roster is, not what the crate is, and every command's
    /// help shows an example.
    #[test]
    fn help_speaks_to_users() {
        let mut cli = Cli::command();
        let help = cli.render_long_help().to_string();
        assert!(help.contains("speaks Descope's Management API"), "{help}");
        assert!(help.contains("Examples:"), "{help}");
        assert!(!help.contains(env!("CARGO_PKG_DESCRIPTION")), "{help}");
        let mut missing = Vec::new();
        cli.build();
        for command in cli.get_subcommands_mut().filter(|c| c.get_name() != "help") {
            let leaves: Vec<clap::Command> = if command.has_subcommands() {
                command.get_subcommands().cloned().collect()
            } else {
                vec![command.clone()]
            };
            for mut leaf in leaves.into_iter().filter(|c| c.get_name() != "help") {
                if !leaf
                    .render_long_help()
                    .to_string()
                    .contains("Example: roster ")
                {
                    missing.push(format!("{} {}", command.get_name(), leaf.get_name()));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "commands without an example: {missing:?}"
        );
    }

    #[test]
    fn serve_defaults() {
        let cli = Cli::try_parse_from(["roster", "serve"]).map_err(|e| e.to_string());
        let Ok(Cli {
            command: Command::Serve(args),
            log_format: LogFormat::Text,
        }) = cli
        else {
            unreachable!("serve parses: {cli:?}")
        };
        assert_eq!(args.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(args.max_batch_items, 10_000);
        assert_eq!(args.max_body_bytes, 33_554_432);
        assert_eq!(args.pool_size, 10);
        assert_eq!(
            (
                args.header_timeout,
                args.request_timeout,
                args.shutdown_timeout
            ),
            (10, 60, 20)
        );
        assert_eq!((args.max_connections, args.max_requests), (4096, 512));
        assert_eq!(args.rate_limit, None);
        assert_eq!(args.audit_retention_days, 30);
        let limited = Cli::try_parse_from(["roster", "serve", "--rate-limit", "200/60s"]);
        assert!(matches!(
            limited,
            Ok(Cli { command: Command::Serve(ServeArgs { rate_limit: Some(l), .. }), .. })
                if l.requests == 200 && l.window.as_secs() == 60
        ));
        assert!(Cli::try_parse_from(["roster", "serve", "--rate-limit", "lots"]).is_err());
        let json = Cli::try_parse_from(["roster", "serve", "--log-format", "json"]);
        assert!(matches!(
            json,
            Ok(Cli {
                log_format: LogFormat::Json,
                ..
            })
        ));
        assert!(Cli::try_parse_from(["roster", "serve", "--log-format", "xml"]).is_err());
    }

    /// `roster key revoke` takes the key's ID as the design writes it (positional), or
    /// as `--id`, but not both.
    #[test]
    fn revoke_takes_the_key_id_either_way() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(
                ["roster", "key", "revoke", "--project", "P2x"]
                    .iter()
                    .chain(args),
            )
        };
        for args in [&["K2a"][..], &["--id", "K2a"][..]] {
            let Ok(Cli {
                command: Command::Key(KeyCommand::Revoke { id, id_flag, .. }),
                ..
            }) = parse(args)
            else {
                unreachable!("{args:?} parses")
            };
            assert_eq!(id.or(id_flag).as_deref(), Some("K2a"));
        }
        assert!(parse(&[]).is_err());
        assert!(parse(&["K2a", "--id", "K2b"]).is_err());
    }

    #[test]
    fn copy_takes_two_urls() {
        let cli = Cli::try_parse_from([
            "roster",
            "copy",
            "--from",
            "sqlite://a.db",
            "--to",
            "postgres://u@h/db",
        ])
        .map_err(|e| e.to_string());
        let Ok(Cli {
            command: Command::Copy(args),
            ..
        }) = cli
        else {
            unreachable!("copy parses: {cli:?}")
        };
        assert_eq!(
            (args.from.as_str(), args.to.as_str()),
            ("sqlite://a.db", "postgres://u@h/db")
        );
        assert!(Cli::try_parse_from(["roster", "copy", "--from", "sqlite://a.db"]).is_err());
    }
}
