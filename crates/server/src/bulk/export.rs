//! `roster users export`: every user of a project, read through the search endpoint a
//! page at a time (`POST /v2/mgmt/user/search`, `page` and `limit`), written as JSON
//! Lines (each user object as the server answered it) or CSV (one row per user, lists
//! and objects as JSON text in their cells).
//!
//! The pages are read one after another; users created or deleted while the export
//! runs may be missed or written twice, so export a directory at rest for an exact
//! copy. Progress goes to standard error: a bar on a terminal, a line per tenth
//! otherwise.

use std::io::{IsTerminal, Write};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use super::Remote;

/// How the users are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per line, as the server answers it.
    Jsonl,
    /// A header, then one row per user.
    Csv,
}

/// The CSV columns, in order: the user object's fields of the same names.
pub const CSV_COLUMNS: [&str; 17] = [
    "userId",
    "loginIds",
    "email",
    "phone",
    "name",
    "givenName",
    "middleName",
    "familyName",
    "status",
    "verifiedEmail",
    "verifiedPhone",
    "test",
    "roleNames",
    "userTenants",
    "customAttributes",
    "ssoAppIds",
    "createdTime",
];

/// A field as a CSV cell: text as itself, `null` as empty, anything else as JSON.
fn cell(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Where the users go, in the chosen format.
enum Sink<W: Write> {
    Jsonl(W),
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> Sink<W> {
    fn new(format: Format, out: W) -> anyhow::Result<Self> {
        Ok(match format {
            Format::Jsonl => Sink::Jsonl(out),
            Format::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(CSV_COLUMNS)?;
                Sink::Csv(Box::new(w))
            }
        })
    }

    fn user(&mut self, user: &Value) -> anyhow::Result<()> {
        match self {
            Sink::Jsonl(w) => {
                serde_json::to_writer(&mut *w, user)?;
                w.write_all(b"\n")?;
            }
            Sink::Csv(w) => w.write_record(CSV_COLUMNS.iter().map(|c| cell(&user[*c])))?,
        }
        Ok(())
    }

    fn finish(self) -> anyhow::Result<()> {
        match self {
            Sink::Jsonl(mut w) => w.flush()?,
            Sink::Csv(mut w) => w.flush()?,
        }
        Ok(())
    }
}

/// What the export reports as it goes.
struct Progress {
    bar: Option<ProgressBar>,
    next_line: u64,
}

impl Progress {
    fn new(total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            if let Ok(style) = ProgressStyle::with_template(
                "users {bar:40} {human_pos}/{human_len} ({per_sec}), eta {eta}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Self { bar, next_line: 0 }
    }

    fn at(&mut self, done: u64, total: u64) {
        match &self.bar {
            Some(bar) => bar.set_position(done),
            None if done >= self.next_line => {
                eprintln!("roster users export: {done} of {total} users");
                self.next_line = done + (total / 10).max(1);
            }
            None => {}
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

/// Write every user of the project to `out`; how many were written.
pub async fn run<W: Write>(
    remote: &Remote,
    format: Format,
    with_test_users: bool,
    page_size: u32,
    out: W,
) -> anyhow::Result<u64> {
    let mut sink = Sink::new(format, out)?;
    let mut progress: Option<Progress> = None;
    let mut written = 0u64;
    for page in 0u64.. {
        let answer = remote
            .post(
                "/v2/mgmt/user/search",
                &json!({"page": page, "limit": page_size, "withTestUser": with_test_users}),
            )
            .await?;
        let Some(users) = answer["users"].as_array() else {
            bail!("the search answered without a list of users: {answer}");
        };
        // A server may hold a page to fewer users than asked (and count its pages by
        // that size): the export ends at an empty page, or once `total` are written.
        let total = answer["total"].as_u64();
        let progress = progress.get_or_insert_with(|| Progress::new(total.unwrap_or(0)));
        for user in users {
            sink.user(user).context("cannot write the export")?;
            written += 1;
        }
        progress.at(written, total.unwrap_or(written).max(written));
        if users.is_empty() || total.is_some_and(|t| written >= t) {
            progress.finish();
            break;
        }
    }
    sink.finish().context("cannot write the export")?;
    Ok(written)
}
