//! `roster copy --from URL --to URL`: open both stores, run the copy of
//! `roster_store::copy`, show its progress, and print every table's counts at the end.
//!
//! Progress goes to standard error: a progress bar on a terminal, plain lines (one per
//! tenth of the users) otherwise, so that logs of scripted runs stay readable. An
//! interruption (Ctrl-C, SIGTERM) drops the import transaction: the target is left
//! empty and the command can simply be run again.

use std::io::{IsTerminal, Write};
use std::path::Path;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use roster_store::copy::{Progress, TableCheck, copy_store};

use crate::cli::CopyArgs;
use crate::startup::{open_store, redact, shutdown_signal};

/// Connections each side of a copy needs: one transaction each.
const COPY_POOL_SIZE: u32 = 2;

/// The file a `sqlite:` URL names, unless it is an in-memory database.
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && !path.contains(":memory:")).then_some(path)
}

/// Progress for a terminal: a bar for the users, lines above it for the steps.
struct Bar {
    bar: Option<ProgressBar>,
}

impl Progress for Bar {
    fn step(&mut self, message: &str) {
        match &self.bar {
            Some(bar) if !bar.is_finished() => bar.println(format!("roster copy: {message}")),
            _ => eprintln!("roster copy: {message}"),
        }
    }

    fn users(&mut self, done: u64, total: u64) {
        let bar = self.bar.get_or_insert_with(|| {
            let bar = ProgressBar::new(total);
            if let Ok(style) = ProgressStyle::with_template(
                "users {bar:40} {human_pos}/{human_len} ({percent}%), {elapsed} so far, eta {eta}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        bar.set_position(done);
        if done >= total {
            bar.finish();
        }
    }
}

/// Progress for logs: a line per step and per tenth of the users.
struct Lines {
    printed_tenths: Option<u64>,
}

impl Progress for Lines {
    fn step(&mut self, message: &str) {
        eprintln!("roster copy: {message}");
    }

    fn users(&mut self, done: u64, total: u64) {
        let tenths = (done * 10).checked_div(total).unwrap_or(10);
        if self.printed_tenths.is_none_or(|p| tenths > p) {
            self.printed_tenths = Some(tenths);
            eprintln!(
                "roster copy: {done} of {total} users copied ({}%)",
                (done * 100).checked_div(total).unwrap_or(100)
            );
        }
    }
}

/// Run the command: copy, then print the table of counts on standard output.
pub async fn run(args: CopyArgs) -> anyhow::Result<()> {
    if args.from == args.to {
        bail!("--from and --to name the same store");
    }
    if let Some(path) = sqlite_file(&args.from)
        && !Path::new(path).exists()
    {
        bail!("--from: there is no SQLite database at {path}");
    }
    let from = open_store(&args.from, COPY_POOL_SIZE)
        .await
        .with_context(|| format!("--from {}", redact(&args.from)))?;
    let to = open_store(&args.to, COPY_POOL_SIZE)
        .await
        .with_context(|| format!("--to {}", redact(&args.to)))?;
    let mut progress: Box<dyn Progress> = if std::io::stderr().is_terminal() {
        Box::new(Bar { bar: None })
    } else {
        Box::new(Lines {
            printed_tenths: None,
        })
    };
    let checks = tokio::select! {
        result = copy_store(from.as_ref(), to.as_ref(), progress.as_mut()) => result?,
        () = shutdown_signal() => bail!(
            "interrupted: nothing was committed and the target is as it was; run the command again"
        ),
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Copied {} to {}. Every table's row count matches:",
        redact(&args.from),
        redact(&args.to)
    )?;
    print_checks(&mut out, &checks)?;
    Ok(())
}

fn print_checks(out: &mut dyn Write, checks: &[TableCheck]) -> std::io::Result<()> {
    writeln!(out, "  {:<20} {:>12} {:>12}", "table", "source", "target")?;
    for c in checks {
        writeln!(out, "  {:<20} {:>12} {:>12}", c.table, c.source, c.target)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::sqlite_file;

    #[test]
    fn sqlite_files_are_found_in_urls() {
        assert_eq!(sqlite_file("sqlite://roster.db"), Some("roster.db"));
        assert_eq!(
            sqlite_file("sqlite:///tmp/a.db?mode=rwc"),
            Some("/tmp/a.db")
        );
        assert_eq!(sqlite_file("sqlite:a.db"), Some("a.db"));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://x@y/z"), None);
    }
}
