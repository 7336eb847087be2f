//! Copying a whole store into an empty one (`roster copy`), written once over the
//! [`CopyStore`] traits, so that it works from any backend to any other.
//!
//! The source is read in one snapshot ([`ExportTx`]) and the target written in one
//! transaction ([`ImportTx`]): an interrupted copy leaves the target as it was, empty,
//! and running the command again starts over. Everything is copied as stored (IDs,
//! times, versions, key digests), in an order that keeps every reference valid:
//! projects, then per project its keys, permissions, tenants (parents first), roles and
//! attribute definitions, then the users of every project in the order they were
//! stored, a page at a time, then the audit trail, oldest record first, a page at a
//! time. Before committing, the row count of every table in the
//! target must equal the source's (otherwise nothing is committed), and after
//! committing the counts are read back and compared again.

use std::fmt;

use roster_domain::Error;

use crate::{CopyStore, TableCount};

/// Users read and written per page.
const PAGE: u32 = 5_000;

/// What the copy reports as it goes (a progress bar on a terminal, lines otherwise).
pub trait Progress: Send {
    /// A step that is not counted in users (`"projects, keys and catalogs"`).
    fn step(&mut self, message: &str);
    /// `done` of `total` users are copied.
    fn users(&mut self, done: u64, total: u64);
}

/// The same table in the source and the target, after the copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableCheck {
    pub table: &'static str,
    pub source: u64,
    pub target: u64,
}

/// Why a copy stopped. The target is unchanged in every case.
#[derive(Debug)]
pub enum CopyError {
    /// The target already holds data (the tables that are not empty).
    TargetNotEmpty(Vec<TableCount>),
    /// After writing, some table's row count differs from the source's.
    CountsDiffer(Vec<TableCheck>),
    Store(Error),
}

impl From<Error> for CopyError {
    fn from(e: Error) -> Self {
        CopyError::Store(e)
    }
}

impl fmt::Display for CopyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CopyError::TargetNotEmpty(tables) => {
                write!(f, "the target store is not empty (")?;
                for (i, t) in tables.iter().enumerate() {
                    if i > 0 {
                        write!(f, ", ")?;
                    }
                    let plural = if t.rows == 1 { "" } else { "s" };
                    write!(f, "{}: {} row{plural}", t.table, t.rows)?;
                }
                write!(
                    f,
                    "); roster copy only fills an empty store, so nothing was copied"
                )
            }
            CopyError::CountsDiffer(checks) => {
                write!(
                    f,
                    "the copy does not match its source, so nothing was committed:"
                )?;
                for c in checks.iter().filter(|c| c.source != c.target) {
                    write!(
                        f,
                        " {}: {} rows in the source, {} in the target;",
                        c.table, c.source, c.target
                    )?;
                }
                Ok(())
            }
            CopyError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for CopyError {}

fn rows(counts: &[TableCount], table: &str) -> u64 {
    counts
        .iter()
        .find(|c| c.table == table)
        .map_or(0, |c| c.rows)
}

/// Copy everything in `from` into `to`, which must be empty. Returns every table's row
/// count in both, all equal.
pub async fn copy_store(
    from: &dyn CopyStore,
    to: &dyn CopyStore,
    progress: &mut dyn Progress,
) -> Result<Vec<TableCheck>, CopyError> {
    let mut source = from.begin_export().await?;
    let mut target = to.begin_import().await?;
    let occupied: Vec<TableCount> = target
        .counts()
        .await?
        .into_iter()
        .filter(|c| c.rows > 0)
        .collect();
    if !occupied.is_empty() {
        return Err(CopyError::TargetNotEmpty(occupied));
    }
    let source_counts = source.counts().await?;

    progress.step("projects, keys, permissions, tenants, roles and attribute definitions");
    for project in source.projects().await? {
        let p = &project.id;
        target.project(&project).await?;
        target.keys(p, &source.keys(p).await?).await?;
        target.permissions(p, &source.permissions(p).await?).await?;
        target.tenants(p, &source.tenants(p).await?).await?;
        target.roles(p, &source.roles(p).await?).await?;
        target.attributes(p, &source.attributes(p).await?).await?;
    }

    let total = rows(&source_counts, "users");
    let mut done = 0u64;
    progress.users(done, total);
    let mut after = None;
    loop {
        let page = source.users(after, PAGE).await?;
        // A page holds users of several projects; write each run of one project's users.
        let mut rest = page.users.as_slice();
        while let Some((project, _)) = rest.first() {
            let run = rest.iter().take_while(|(p, _)| p == project).count();
            let users: Vec<_> = rest[..run].iter().map(|(_, u)| u.clone()).collect();
            target.users(project, &users).await?;
            rest = &rest[run..];
        }
        done += page.users.len() as u64;
        progress.users(done, total);
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }

    progress.step("audit records");
    let mut after = None;
    loop {
        let page = source.audit(after, PAGE).await?;
        let mut rest = page.records.as_slice();
        while let Some((project, _)) = rest.first() {
            let run = rest.iter().take_while(|(p, _)| p == project).count();
            let records: Vec<_> = rest[..run].iter().map(|(_, r)| r.clone()).collect();
            target.audit(project, &records).await?;
            rest = &rest[run..];
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }

    let written = target.counts().await?;
    let checks: Vec<TableCheck> = crate::TABLES
        .iter()
        .map(|&table| TableCheck {
            table,
            source: rows(&source_counts, table),
            target: rows(&written, table),
        })
        .collect();
    if checks.iter().any(|c| c.source != c.target) {
        return Err(CopyError::CountsDiffer(checks));
    }
    progress.step("committing");
    target.commit().await?;

    // What was committed, read back in a snapshot of its own.
    let committed = to.begin_export().await?.counts().await?;
    let checks: Vec<TableCheck> = checks
        .into_iter()
        .map(|c| TableCheck {
            target: rows(&committed, c.table),
            ..c
        })
        .collect();
    if checks.iter().any(|c| c.source != c.target) {
        return Err(CopyError::CountsDiffer(checks));
    }
    Ok(checks)
}
