//! Sending a file of users in batches (`roster users patch` through `patch/batch`,
//! `roster users import` through `create/batch`): several batches in flight, a progress
//! bar, the failed users written to a file with their reason, and a journal that makes
//! an interrupted run resumable. The file is read twice as a stream, once to count,
//! digest and check it ([`scan`]), once to send it ([`run`]), so that only the batches
//! in flight are held in memory.
//!
//! Batch `k` is always the same users: the file's users `k * size` to `(k + 1) * size`.
//! The journal (`--state`, JSON Lines) starts with what the run is (the command, the
//! number of users, the batch size, a digest of the users), then records each batch as
//! `started` before it is sent and `done` once its answer is read. Run again with the
//! same file and journal, a command sends only the batches not done: a batch answered
//! is never sent twice. A batch in flight when the run stopped (no `done`) is sent
//! again; that is harmless, as a patch sets values (a user patched twice to the same
//! values is changed once: its `version` moves once), and an import counts a user the
//! first attempt already created ("already exists" in a batch sent again) as imported.
//!
//! Failed users go to the failures file (`--failures`, JSON Lines): each is the file's
//! item as it was, plus `failure` (the server's reason) and `line`; as the server
//! ignores fields it does not know, that file can be sent again as it is once fixed.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use tokio::task::JoinSet;

use super::Remote;
use super::input::{Item, Items, Problem};

/// Which endpoint the users go through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `PATCH /v1/mgmt/user/patch/batch`.
    Patch,
    /// `POST /v1/mgmt/user/create/batch`.
    Import,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Patch => "patch",
            Kind::Import => "import",
        }
    }

    fn done_field(self) -> &'static str {
        match self {
            Kind::Patch => "patchedUsers",
            Kind::Import => "createdUsers",
        }
    }
}

/// How a run sends its batches.
#[derive(Debug, Clone)]
pub struct Options {
    pub batch_size: usize,
    pub in_flight: usize,
    pub state: PathBuf,
    pub failures: PathBuf,
}

/// What a run did, counting the runs before it that the journal recorded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub users: usize,
    pub done: usize,
    pub failed: usize,
    /// Batches this run sent.
    pub sent: usize,
    /// The journal recorded an earlier run of the same file.
    pub resumed: bool,
}

/// A journal entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "entry", rename_all = "camelCase")]
enum Entry {
    #[serde(rename_all = "camelCase")]
    Run {
        command: String,
        users: usize,
        batch_size: usize,
        digest: String,
    },
    Started {
        batch: usize,
    },
    Done {
        batch: usize,
        done: usize,
        failed: usize,
    },
}

/// Make an item of the file ready for the endpoint; the problem when it cannot be
/// sent. An import item may name its login IDs as `loginIds` (as `roster users export`
/// writes them): the first becomes `loginId`, the others `additionalLoginIds`.
pub fn prepare(kind: Kind, item: &mut Item) -> Option<Problem> {
    if kind == Kind::Import
        && !item.body.contains_key("loginId")
        && let Some(Value::Array(ids)) = item.body.remove("loginIds")
    {
        let mut ids = ids.into_iter();
        if let Some(first) = ids.next() {
            item.body.insert("loginId".into(), first);
        }
        let rest: Vec<Value> = ids.collect();
        if !rest.is_empty() && !item.body.contains_key("additionalLoginIds") {
            item.body
                .insert("additionalLoginIds".into(), Value::Array(rest));
        }
    }
    let named = match kind {
        Kind::Patch => item.selector().is_some(),
        Kind::Import => item
            .body
            .get("loginId")
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty()),
    };
    (!named).then(|| Problem {
        line: item.line,
        message: match kind {
            Kind::Patch => "names no user: give loginId or userId".into(),
            Kind::Import => "names no login ID: give loginId (or loginIds)".into(),
        },
    })
}

/// What a first reading of the file found: how many users, their digest, and the
/// problems (the first [`PROBLEMS_KEPT`] of them, and how many in all).
#[derive(Debug, Default)]
pub struct Scan {
    pub users: usize,
    pub digest: String,
    pub problems: Vec<Problem>,
    pub problem_count: usize,
}

/// Problems a scan keeps to show.
pub const PROBLEMS_KEPT: usize = 20;

/// Read the whole file once, as it comes: count, digest and check its users.
pub fn scan(kind: Kind, items: Items) -> Scan {
    let mut out = Scan::default();
    let mut h = Sha256::new();
    for item in items {
        let problem = match item {
            Ok(mut item) => match prepare(kind, &mut item) {
                None => {
                    out.users += 1;
                    h.update(item.line.to_le_bytes());
                    h.update(serde_json::to_vec(&item.body).unwrap_or_default());
                    continue;
                }
                Some(p) => p,
            },
            Err(p) => p,
        };
        out.problem_count += 1;
        if out.problems.len() < PROBLEMS_KEPT {
            out.problems.push(problem);
        }
    }
    out.digest = h
        .finalize()
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect();
    out
}

/// What the journal says of earlier runs.
#[derive(Debug, Default)]
struct Journal {
    done: BTreeMap<usize, (usize, usize)>,
    started: BTreeSet<usize>,
}

fn read_journal(path: &Path, run: &Entry) -> anyhow::Result<Option<Journal>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let mut journal = Journal::default();
    for (n, line) in (1..).zip(BufReader::new(file).lines()) {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        // A line cut short by a crash ends the journal.
        let Ok(entry) = serde_json::from_str::<Entry>(&line) else {
            break;
        };
        match entry {
            Entry::Run { .. } if n == 1 => {
                if &entry != run {
                    bail!(
                        "{} records another run (another file, command or batch size); \
                         remove it to start over, or give this run its own --state",
                        path.display()
                    );
                }
            }
            _ if n == 1 => bail!("{} is not a journal of roster users", path.display()),
            Entry::Run { .. } => {}
            Entry::Started { batch } => {
                journal.started.insert(batch);
            }
            Entry::Done {
                batch,
                done,
                failed,
            } => {
                journal.done.insert(batch, (done, failed));
            }
        }
    }
    Ok(Some(journal))
}

fn append(file: &mut File, entry: &impl Serialize) -> anyhow::Result<()> {
    let mut line = serde_json::to_vec(entry)?;
    line.push(b'\n');
    file.write_all(&line)?;
    file.flush()?;
    Ok(())
}

/// The users of one answer that failed, each with its reason, matched to the batch's
/// items: by index for `additionalErrors`, by login ID or user ID for `failedUsers`.
fn failures(answer: &Value, batch: &[Item]) -> Vec<(Option<usize>, String)> {
    let mut out = Vec::new();
    for f in answer["failedUsers"].as_array().into_iter().flatten() {
        let reason = f["failure"].as_str().unwrap_or("failed").to_string();
        let names: Vec<&str> = f["user"]["loginIds"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .chain(f["user"]["userId"].as_str())
            .collect();
        let index = batch.iter().position(|i| {
            ["loginId", "identifier", "userId"]
                .iter()
                .filter_map(|k| i.body.get(*k).and_then(Value::as_str))
                .any(|s| names.contains(&s))
        });
        out.push((index, reason));
    }
    if let Some(errors) = answer["additionalErrors"].as_object() {
        for (key, message) in errors {
            let index = key
                .strip_prefix("users[")
                .and_then(|k| k.strip_suffix(']'))
                .and_then(|k| k.parse().ok());
            out.push((index, message.as_str().unwrap_or("failed").to_string()));
        }
    }
    out
}

/// What the progress shows.
struct Progress {
    bar: Option<ProgressBar>,
    total: u64,
    next_line: u64,
    name: &'static str,
}

impl Progress {
    fn new(name: &'static str, total: u64, at: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            if let Ok(style) = ProgressStyle::with_template(
                "users {bar:40} {human_pos}/{human_len} ({per_sec}), eta {eta}",
            ) {
                bar.set_style(style);
            }
            bar.set_position(at);
            bar
        });
        Self {
            bar,
            total,
            next_line: at,
            name,
        }
    }

    fn at(&mut self, done: u64) {
        match &self.bar {
            Some(bar) => bar.set_position(done),
            None if done >= self.next_line => {
                eprintln!("roster users {}: {done} of {} users", self.name, self.total);
                self.next_line = done + (self.total / 10).max(1);
            }
            None => {}
        }
    }

    fn println(&self, message: &str) {
        match &self.bar {
            Some(bar) => bar.println(message),
            None => eprintln!("{message}"),
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.abandon();
        }
    }
}

/// Send the file's users in batches (`items` reads the file again, as it comes; `scan`
/// is what the first reading found); the summary once every batch is done, or the
/// reason the run stopped (a batch the server refused whole, the server unreachable,
/// Ctrl-C), after the batches in flight are answered and journaled. Only the batches in
/// flight are held in memory.
pub async fn run(
    remote: &Remote,
    kind: Kind,
    items: Items,
    scan: &Scan,
    options: &Options,
    stop: impl std::future::Future<Output = ()>,
) -> anyhow::Result<Summary> {
    let size = options.batch_size.max(1);
    let run = Entry::Run {
        command: kind.name().to_string(),
        users: scan.users,
        batch_size: size,
        digest: scan.digest.clone(),
    };
    let earlier = read_journal(&options.state, &run)?;
    let resumed = earlier.is_some();
    let earlier = earlier.unwrap_or_default();
    let mut journal = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&options.state)
        .with_context(|| format!("cannot write {}", options.state.display()))?;
    if !resumed {
        append(&mut journal, &run)?;
    }
    let mut failed_file = OpenOptions::new()
        .create(true)
        .write(true)
        .append(resumed)
        .truncate(!resumed)
        .open(&options.failures)
        .with_context(|| format!("cannot write {}", options.failures.display()))?;

    let batches = scan.users.div_ceil(size);
    let mut summary = Summary {
        users: scan.users,
        resumed,
        ..Summary::default()
    };
    for (done, failed) in earlier.done.values() {
        summary.done += done;
        summary.failed += failed;
    }
    let mut progress = Progress::new(
        kind.name(),
        scan.users as u64,
        (summary.done + summary.failed) as u64,
    );
    if resumed {
        progress.println(&format!(
            "roster users {}: resuming: {} of {batches} batches were done",
            kind.name(),
            earlier.done.len(),
        ));
    }
    let mut source = items;
    let mut next_batch = 0usize;
    let mut exhausted = false;
    let mut flying: JoinSet<(usize, Vec<Item>, anyhow::Result<Value>)> = JoinSet::new();
    let mut stopped: Option<anyhow::Error> = None;
    tokio::pin!(stop);
    loop {
        while stopped.is_none() && !exhausted && flying.len() < options.in_flight.max(1) {
            let mut batch = Vec::with_capacity(size);
            while batch.len() < size {
                match source.next() {
                    Some(Ok(mut item)) => {
                        if let Some(p) = prepare(kind, &mut item) {
                            bail!(
                                "line {}: {} (the file changed while it was sent)",
                                p.line,
                                p.message
                            );
                        }
                        batch.push(item);
                    }
                    Some(Err(p)) => {
                        bail!(
                            "line {}: {} (the file changed while it was sent)",
                            p.line,
                            p.message
                        )
                    }
                    None => {
                        exhausted = true;
                        break;
                    }
                }
            }
            if batch.is_empty() {
                break;
            }
            let k = next_batch;
            next_batch += 1;
            if earlier.done.contains_key(&k) {
                continue;
            }
            append(&mut journal, &Entry::Started { batch: k })?;
            let remote = remote.clone();
            flying.spawn(async move {
                let body = json!({
                    "users": batch.iter().map(|i| Value::Object(i.body.clone())).collect::<Vec<_>>()
                });
                let answer = match kind {
                    Kind::Patch => {
                        remote
                            .send(reqwest::Method::PATCH, "/v1/mgmt/user/patch/batch", &body)
                            .await
                    }
                    Kind::Import => {
                        remote
                            .send(reqwest::Method::POST, "/v1/mgmt/user/create/batch", &body)
                            .await
                    }
                };
                (k, batch, answer)
            });
            summary.sent += 1;
        }
        let next = tokio::select! {
            next = flying.join_next() => next,
            () = &mut stop, if stopped.is_none() => {
                stopped = Some(anyhow::anyhow!("interrupted"));
                continue;
            }
        };
        let Some(joined) = next else { break };
        let (k, batch, answer) = joined.context("a batch's task failed")?;
        let answer = match answer {
            Ok(a) => a,
            Err(e) => {
                let (first, last) = (batch[0].line, batch[batch.len() - 1].line);
                stopped.get_or_insert(e.context(format!("batch {k} (lines {first} to {last})")));
                continue;
            }
        };
        let again = earlier.started.contains(&k);
        let mut failed = 0;
        for (index, reason) in failures(&answer, &batch) {
            // A user an interrupted import already created is imported.
            if kind == Kind::Import && again && reason.contains("already") {
                continue;
            }
            failed += 1;
            let mut record: Map<String, Value> = index
                .and_then(|i| batch.get(i))
                .map(|i| i.body.clone())
                .unwrap_or_default();
            record.insert("failure".into(), Value::String(reason));
            if let Some(item) = index.and_then(|i| batch.get(i)) {
                record.insert("line".into(), json!(item.line));
            }
            append(&mut failed_file, &record)?;
        }
        let done = batch.len().saturating_sub(failed);
        let reported = answer[kind.done_field()].as_array().map_or(0, Vec::len);
        if reported > done {
            tracing::warn!(
                batch = k,
                reported,
                done,
                "the answer counts more users done than the batch holds"
            );
        }
        append(
            &mut journal,
            &Entry::Done {
                batch: k,
                done,
                failed,
            },
        )?;
        summary.done += done;
        summary.failed += failed;
        progress.at((summary.done + summary.failed) as u64);
    }
    progress.finish();
    // No failure, ever: no failures file left behind.
    if summary.failed == 0 && failed_file.metadata().is_ok_and(|m| m.len() == 0) {
        drop(failed_file);
        let _ = std::fs::remove_file(&options.failures);
    }
    match stopped {
        Some(e) => Err(e.context(format!(
            "roster users {} stopped after {} of {} users; the batches answered are recorded \
             in {}: run the same command again to send the rest",
            kind.name(),
            summary.done + summary.failed,
            summary.users,
            options.state.display()
        ))),
        None => Ok(summary),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(line: u64, body: Value) -> Item {
        let Value::Object(body) = body else {
            unreachable!()
        };
        Item { line, body }
    }

    #[test]
    fn import_items_take_their_login_ids_from_an_export() {
        let mut exported = item(
            1,
            json!({"loginIds": ["a@x.com", "+15551234567"], "name": "A"}),
        );
        assert_eq!(prepare(Kind::Import, &mut exported), None);
        assert_eq!(
            Value::Object(exported.body.clone()),
            json!({"loginId": "a@x.com", "additionalLoginIds": ["+15551234567"], "name": "A"})
        );
        let problem = prepare(Kind::Import, &mut item(2, json!({"name": "no one"})));
        assert_eq!(problem.map(|p| p.line), Some(2));
        assert_eq!(
            prepare(Kind::Patch, &mut item(7, json!({"userId": "U1"}))),
            None
        );
        assert!(prepare(Kind::Patch, &mut item(8, json!({"loginId": ""}))).is_some());
    }

    #[test]
    fn a_scan_counts_digests_and_keeps_the_first_problems() {
        let lines: Vec<Result<Item, Problem>> = (1..=30)
            .map(|n| {
                if n % 2 == 0 {
                    Err(Problem {
                        line: n,
                        message: "bad".into(),
                    })
                } else {
                    Ok(item(n, json!({"loginId": format!("u{n}")})))
                }
            })
            .collect();
        let found = scan(Kind::Patch, Box::new(lines.clone().into_iter()));
        assert_eq!(
            (found.users, found.problem_count, found.problems.len()),
            (15, 15, 15)
        );
        let again = scan(Kind::Patch, Box::new(lines.into_iter()));
        assert_eq!(found.digest, again.digest);
        let other = scan(
            Kind::Patch,
            Box::new(std::iter::once(Ok(item(1, json!({"loginId": "x"}))))),
        );
        assert_ne!(found.digest, other.digest);
    }

    #[test]
    fn failures_are_matched_to_their_items() {
        let batch = vec![
            item(10, json!({"loginId": "a"})),
            item(11, json!({"userId": "U2"})),
            item(12, json!({"name": "x"})),
        ];
        let answer = json!({
            "failedUsers": [
                {"failure": "unknown", "user": {"loginIds": ["U2"]}},
                {"failure": "bad", "user": {"loginIds": ["a"]}},
            ],
            "additionalErrors": {"users[2]": "no loginId"}
        });
        let found = failures(&answer, &batch);
        assert_eq!(
            found,
            vec![
                (Some(1), "unknown".to_string()),
                (Some(0), "bad".to_string()),
                (Some(2), "no loginId".to_string())
            ]
        );
    }

    #[test]
    fn a_journal_of_another_run_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state");
        let run = |users| Entry::Run {
            command: "patch".into(),
            users,
            batch_size: 10,
            digest: "d".into(),
        };
        let mut f = File::create(&path).unwrap();
        append(&mut f, &run(5)).unwrap();
        append(&mut f, &Entry::Started { batch: 0 }).unwrap();
        append(
            &mut f,
            &Entry::Done {
                batch: 0,
                done: 4,
                failed: 1,
            },
        )
        .unwrap();
        append(&mut f, &Entry::Started { batch: 1 }).unwrap();
        f.write_all(b"{\"entry\":\"do").unwrap();
        let journal = read_journal(&path, &run(5)).unwrap().unwrap();
        assert_eq!(journal.done.get(&0), Some(&(4, 1)));
        assert!(journal.started.contains(&1));
        assert!(read_journal(&path, &run(6)).is_err());
        assert!(
            read_journal(&dir.path().join("none"), &run(5))
                .unwrap()
                .is_none()
        );
    }
}
