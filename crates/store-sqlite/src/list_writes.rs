//! Writing the lists a batch changed (login IDs, project roles, tenants and the roles in
//! each): for each user, only the rows that changed.
//!
//! A list's rows carry a position, and a user's list reads back in position order. A
//! list whose rows kept their order, losing some and gaining new ones only after the
//! last one it kept, is edited: the rows it lost are deleted and the new ones appended
//! ([`Plan::Edit`]). That is the usual change (a role added or taken away, a tenant's
//! role replaced), and it writes one row where rewriting the list writes them all. Any
//! other list (an order that changed, a row put before one kept, a new user's, login
//! IDs whose first one changed) is rewritten whole: every old row deleted, every row
//! inserted ([`Plan::Rewrite`]).
//!
//! Positions are sort keys, not indexes: a cascade (a role or tenant deleted) or an
//! edit leaves gaps, and an appended row must sort after every row kept without reading
//! their positions first. So a rewritten list's rows take 0, 1, 2…, and a row appended
//! to an edited list takes [`appended_at`] the user's new version: above every position
//! the list holds, each written at an earlier version (every change of a user moves its
//! version, and a list is at most [`caps`](roster_domain::caps) long). The first login
//! ID stays at 0, where search's sort by login ID reads it.
//!
//! Every deletion of the batch runs before any insertion: a login ID that moves from one
//! user of the batch to another is free before it is taken again.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use roster_domain::Error;
use roster_domain::catalog::Catalog;
use roster_domain::ids::ProjectId;
use roster_domain::names::RoleName;
use roster_domain::patch::UserChange;
use roster_domain::user::User;
use roster_store::sql::{key_of, role_key};
use rusqlite::Connection;

use crate::user_writes::{each_row, pks};

/// How one user's list becomes another.
#[derive(Debug, PartialEq, Eq)]
enum Plan<'a, K> {
    /// Delete these rows, then append these, in order, after the rows kept.
    Edit {
        gone: Vec<&'a K>,
        appended: Vec<&'a K>,
    },
    /// Delete every row, then insert the list whole.
    Rewrite,
}

/// Positions per version for appended rows: more than any list holds.
const VERSION_SPAN: i64 = 1 << 16;

/// The position of the `i`-th row appended to a list of a user now at `version`.
fn appended_at(version: i64, i: i64) -> i64 {
    version.saturating_mul(VERSION_SPAN).saturating_add(i)
}

/// How to turn the list `before` into `after` (each of distinct keys, in order); with
/// `first_stays`, a list whose first row changed is rewritten.
fn plan<'a, K: Eq + Hash>(before: &'a [K], after: &'a [K], first_stays: bool) -> Plan<'a, K> {
    if first_stays && before.first() != after.first() {
        return Plan::Rewrite;
    }
    let was: HashSet<&K> = before.iter().collect();
    let now: HashSet<&K> = after.iter().collect();
    let kept_then = before.iter().filter(|k| now.contains(k));
    // The rows kept, in their new order, must be the list's first rows, in their old.
    let new_from = after
        .iter()
        .position(|k| !was.contains(k))
        .unwrap_or(after.len());
    let (kept_now, appended) = after.split_at(new_from);
    if appended.iter().any(|k| was.contains(k)) || !kept_then.eq(kept_now.iter()) {
        return Plan::Rewrite;
    }
    Plan::Edit {
        gone: before.iter().filter(|k| !now.contains(k)).collect(),
        appended: appended.iter().collect(),
    }
}

/// A list's rows of one user as written: by plan, or whole.
fn planned<'a, K: Eq + Hash>(
    before: Option<&'a [K]>,
    after: &'a [K],
    first_stays: bool,
) -> Plan<'a, K> {
    match before {
        Some(before) => plan(before, after, first_stays),
        None => Plan::Rewrite,
    }
}

/// The rows of one list table a batch deletes and inserts; `C` names one list (a
/// user's, or a user's in one tenant).
#[derive(Debug)]
struct Rows<K, C = i64> {
    /// Lists whose rows all go.
    cleared: Vec<C>,
    /// Single rows that go.
    gone: Vec<K>,
    /// Rows inserted, each at its position.
    placed: Vec<(K, i64)>,
}

impl<K, C> Default for Rows<K, C> {
    fn default() -> Self {
        Self {
            cleared: Vec::new(),
            gone: Vec::new(),
            placed: Vec::new(),
        }
    }
}

impl<K, C> Rows<K, C> {
    /// Add the list `list` of a user now at `version`, whose keys are `after` (and were
    /// `before`, for a list not new), each key a row `row(key)` of the table.
    fn add<'a, T: Eq + Hash + 'a>(
        &mut self,
        list: C,
        version: i64,
        (before, after): (Option<&'a [T]>, &'a [T]),
        row: impl Fn(&T) -> K,
    ) {
        self.add_keeping(list, version, (before, after), false, row);
    }

    /// [`Rows::add`], rewriting the list when its first row changed if `first_stays`.
    fn add_keeping<'a, T: Eq + Hash + 'a>(
        &mut self,
        list: C,
        version: i64,
        (before, after): (Option<&'a [T]>, &'a [T]),
        first_stays: bool,
        row: impl Fn(&T) -> K,
    ) {
        match planned(before, after, first_stays) {
            Plan::Edit { gone, appended } => {
                self.gone.extend(gone.into_iter().map(&row));
                self.placed.extend(
                    appended
                        .into_iter()
                        .zip(0..)
                        .map(|(k, i)| (row(k), appended_at(version, i))),
                );
            }
            Plan::Rewrite => {
                if before.is_some() {
                    self.cleared.push(list);
                }
                self.placed
                    .extend(after.iter().zip(0..).map(|(k, i)| (row(k), i)));
            }
        }
    }
}

/// A role's row key, by the catalog's entry for the name.
fn role<'c>(
    catalog: &'c Catalog,
    roles: &'c HashMap<String, i64>,
    tenant: Option<&'c str>,
) -> impl Fn(&RoleName) -> Result<i64, Error> + 'c {
    move |r| {
        let entry = match tenant {
            None => catalog.project_role(r.as_str()),
            Some(t) => catalog.tenant_role(t, r.as_str()),
        };
        role_key(entry, r, roles)
    }
}

/// The role keys of a list of role names.
fn role_keys(
    names: &[RoleName],
    key: &impl Fn(&RoleName) -> Result<i64, Error>,
) -> Result<Vec<i64>, Error> {
    names.iter().map(key).collect()
}

/// The user as loaded, for a user not new.
fn before(c: &UserChange) -> Option<&User> {
    if c.created { None } else { c.before.as_deref() }
}

/// Write the lists `changes` changed, each user's row key given by `user_pk`.
pub(crate) fn write_lists(
    conn: &Connection,
    project: &ProjectId,
    changes: &[UserChange],
    catalog: &Catalog,
    user_pk: impl Fn(&UserChange) -> Result<i64, Error>,
) -> Result<(), Error> {
    let p = project.as_str();
    let mut logins: Rows<(i64, String)> = Rows::default();
    let mut user_roles: Rows<(i64, i64)> = Rows::default();
    let mut memberships: Rows<(i64, i64)> = Rows::default();
    let mut tenant_roles: Rows<(i64, i64, i64), (i64, i64)> = Rows::default();
    let roles = if changes.iter().any(|c| c.roles_changed || c.tenants_changed) {
        pks(conn, project, "roles")?
    } else {
        HashMap::new()
    };
    let tenants = if changes.iter().any(|c| c.tenants_changed) {
        pks(conn, project, "tenants")?
    } else {
        HashMap::new()
    };
    for c in changes {
        let pk = user_pk(c)?;
        let version = c.user.version;
        let was = before(c);
        if c.login_ids_changed {
            let old: Option<Vec<&str>> =
                was.map(|b| b.login_ids.iter().map(|l| l.as_str()).collect());
            let new: Vec<&str> = c.user.login_ids.iter().map(|l| l.as_str()).collect();
            logins.add_keeping(pk, version, (old.as_deref(), &new), true, |l| {
                (pk, (*l).to_string())
            });
        }
        if c.roles_changed {
            let key = role(catalog, &roles, None);
            let old = was.map(|b| role_keys(&b.role_names, &key)).transpose()?;
            let new = role_keys(&c.user.role_names, &key)?;
            user_roles.add(pk, version, (old.as_deref(), &new), |r| (pk, *r));
        }
        if c.tenants_changed {
            let tenant_key = |id: &str| key_of(&tenants, id, "tenant");
            let old: Option<Vec<i64>> = was
                .map(|b| {
                    b.tenants
                        .iter()
                        .map(|t| tenant_key(t.tenant_id.as_str()))
                        .collect()
                })
                .transpose()?;
            let new: Vec<i64> = c
                .user
                .tenants
                .iter()
                .map(|t| tenant_key(t.tenant_id.as_str()))
                .collect::<Result<_, _>>()?;
            // A membership dropped takes its roles with it (foreign key); a membership
            // written anew gets all of its roles; one kept, its roles as planned.
            let rewritten = matches!(planned(old.as_deref(), &new, false), Plan::Rewrite);
            memberships.add(pk, version, (old.as_deref(), &new), |t| (pk, *t));
            let held: HashMap<&str, &[RoleName]> = was
                .map(|b| {
                    b.tenants
                        .iter()
                        .map(|t| (t.tenant_id.as_str(), t.role_names.as_slice()))
                        .collect()
                })
                .unwrap_or_default();
            for (t, tenant) in c.user.tenants.iter().zip(&new) {
                let key = role(catalog, &roles, Some(t.tenant_id.as_str()));
                let kept = held.get(t.tenant_id.as_str()).filter(|_| !rewritten);
                let old = kept.map(|r| role_keys(r, &key)).transpose()?;
                let new = role_keys(&t.role_names, &key)?;
                tenant_roles.add((pk, *tenant), version, (old.as_deref(), &new), |r| {
                    (pk, *tenant, *r)
                });
            }
        }
    }

    // Every deletion first.
    let each = |what, sql: &str, rows: Vec<(i64, i64)>| each_row(conn, what, sql, rows);
    each_row(
        conn,
        "clear login IDs",
        "DELETE FROM user_login_ids WHERE user_pk = ?1",
        logins.cleared.iter().map(|pk| [*pk]),
    )?;
    each_row(
        conn,
        "delete login IDs",
        "DELETE FROM user_login_ids WHERE project_id = ?1 AND login_id = ?3 AND user_pk = ?2",
        logins.gone.iter().map(|(pk, l)| (p, *pk, l.as_str())),
    )?;
    each_row(
        conn,
        "clear roles",
        "DELETE FROM user_roles WHERE user_pk = ?1",
        user_roles.cleared.iter().map(|pk| [*pk]),
    )?;
    each(
        "delete roles",
        "DELETE FROM user_roles WHERE user_pk = ?1 AND role_pk = ?2",
        user_roles.gone,
    )?;
    each_row(
        conn,
        "clear tenants",
        "DELETE FROM user_tenants WHERE user_pk = ?1",
        memberships.cleared.iter().map(|pk| [*pk]),
    )?;
    each(
        "delete tenants",
        "DELETE FROM user_tenants WHERE user_pk = ?1 AND tenant_pk = ?2",
        memberships.gone,
    )?;
    each(
        "clear tenant roles",
        "DELETE FROM user_tenant_roles WHERE user_pk = ?1 AND tenant_pk = ?2",
        tenant_roles.cleared,
    )?;
    each_row(
        conn,
        "delete tenant roles",
        "DELETE FROM user_tenant_roles WHERE user_pk = ?1 AND tenant_pk = ?2 AND role_pk = ?3",
        tenant_roles.gone,
    )?;

    // Then every insertion: memberships before the roles in them.
    each_row(
        conn,
        "insert login IDs",
        "INSERT INTO user_login_ids (project_id, user_pk, login_id, position) \
         VALUES (?1, ?2, ?3, ?4)",
        logins
            .placed
            .iter()
            .map(|((pk, l), i)| (p, *pk, l.as_str(), *i)),
    )?;
    each_row(
        conn,
        "insert roles",
        "INSERT INTO user_roles (user_pk, role_pk, position) VALUES (?1, ?2, ?3)",
        user_roles.placed.iter().map(|((u, r), i)| (*u, *r, *i)),
    )?;
    each_row(
        conn,
        "insert tenants",
        "INSERT INTO user_tenants (user_pk, tenant_pk, position) VALUES (?1, ?2, ?3)",
        memberships.placed.iter().map(|((u, t), i)| (*u, *t, *i)),
    )?;
    each_row(
        conn,
        "insert tenant roles",
        "INSERT INTO user_tenant_roles (user_pk, tenant_pk, role_pk, position) \
         VALUES (?1, ?2, ?3, ?4)",
        tenant_roles
            .placed
            .iter()
            .map(|((u, t, r), i)| (*u, *t, *r, *i)),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit<'a>(gone: &[&'a i32], appended: &[&'a i32]) -> Plan<'a, i32> {
        Plan::Edit {
            gone: gone.to_vec(),
            appended: appended.to_vec(),
        }
    }

    #[test]
    fn a_list_that_keeps_its_order_and_only_appends_is_edited() {
        let (one, two, three, four) = (&1, &2, &3, &4);
        assert_eq!(plan(&[1, 2], &[1], false), edit(&[two], &[]));
        assert_eq!(plan(&[1], &[1, 2], false), edit(&[], &[two]));
        assert_eq!(plan(&[1, 2, 3], &[1, 3, 4], false), edit(&[two], &[four]));
        assert_eq!(plan(&[1, 2], &[3], false), edit(&[one, two], &[three]));
        assert_eq!(plan::<i32>(&[], &[], false), edit(&[], &[]));
        assert_eq!(plan(&[1, 2], &[1, 2], false), edit(&[], &[]));
        // Login IDs: the first one stayed.
        assert_eq!(plan(&[1, 2], &[1, 3], true), edit(&[two], &[three]));
    }

    #[test]
    fn any_other_list_is_rewritten() {
        // The order of the rows kept changed.
        assert_eq!(plan(&[1, 2], &[2, 1], false), Plan::Rewrite);
        assert_eq!(plan(&[1, 2, 3], &[3, 1], false), Plan::Rewrite);
        // A new row before a kept one.
        assert_eq!(plan(&[1, 2], &[3, 1, 2], false), Plan::Rewrite);
        assert_eq!(plan(&[1, 2], &[1, 3, 2], false), Plan::Rewrite);
        // Login IDs whose first one changed.
        assert_eq!(plan(&[1, 2], &[3, 2], true), Plan::Rewrite);
        assert_eq!(plan(&[1], &[2], true), Plan::Rewrite);
        // A new user's list.
        assert_eq!(planned(None, &[1, 2], false), Plan::Rewrite);
    }

    #[test]
    fn appended_rows_sort_after_every_row_of_an_earlier_version() {
        let longest = roster_domain::caps::USER_ROLES
            .max(roster_domain::caps::USER_TENANTS)
            .max(roster_domain::caps::TENANT_ROLES)
            .max(roster_domain::caps::ADDITIONAL_LOGIN_IDS + 1);
        let longest = i64::try_from(longest).unwrap_or(i64::MAX);
        assert!(longest < VERSION_SPAN);
        // A rewritten list's last row, at any version, sorts before an appended one.
        assert!(longest - 1 < appended_at(1, 0));
        for version in [1, 2, 77, 1 << 30] {
            // The last row appended at one version sorts before the first at the next.
            assert!(appended_at(version, longest - 1) < appended_at(version + 1, 0));
        }
    }
}
