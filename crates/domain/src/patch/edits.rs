//! The patch operations that change part of a list or one login ID, rather than replace
//! a field: roles added or removed, one tenant joined, left or given roles, SSO
//! applications added or removed, a login ID renamed or removed, a password set or
//! expired. The SDK's one-purpose endpoints (`update/role/add`, `update/tenant/remove`,
//! `update/loginid`...) are patches made of these (see [`crate::change`]); they are
//! applied by [`apply_patch`](super::apply_patch) after the whole-field replacements, so
//! that every change to a user goes through the same function.

use std::collections::HashSet;
use std::hash::Hash;

use crate::catalog::Catalog;
use crate::error::{Error, FieldError};
use crate::ids::TenantId;
use crate::login_id::LoginId;
use crate::names::RoleName;
use crate::password::PasswordHash;
use crate::user::{User, UserTenant};

use super::LoginOwners;

/// A change to the user's membership of one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantEdit {
    pub tenant_id: TenantId,
    pub op: TenantOp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TenantOp {
    /// Join the tenant (with no roles), unless already a member.
    Join,
    /// Leave the tenant, with every role held there.
    Leave,
    /// The whole list of roles held in the tenant; joins it first if needed.
    SetRoles(Vec<RoleName>),
    /// Roles added in the tenant; joins it first if needed.
    AddRoles(Vec<RoleName>),
    /// Roles removed in the tenant; the user must be a member.
    RemoveRoles(Vec<RoleName>),
}

/// Rename or remove one login ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginIdChange {
    /// The login ID to change, as the request named the user. When it is the user's ID
    /// rather than one of its login IDs, the first login ID is the one changed.
    pub from: String,
    /// The new login ID; `None` removes `from` (a user keeps at least one).
    pub to: Option<LoginId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordChange {
    /// A new password, already hashed; `expired` for a temporary one.
    Set { hash: PasswordHash, expired: bool },
    /// The current password must be replaced at the next sign-in.
    Expire,
}

fn role_missing(field: &str, role: &RoleName, scope: &str) -> Error {
    FieldError::new(
        field,
        format!("role {:?} does not exist{scope}", role.as_str()),
    )
    .into()
}

/// Append the items of `add` that `list` lacks, in order (sets, not scans: both lists
/// may hold hundreds).
fn add_all<T: Eq + Hash + Clone>(list: &mut Vec<T>, add: &[T]) {
    if add.is_empty() {
        return;
    }
    let mut held: HashSet<T> = list.iter().cloned().collect();
    for a in add {
        if held.insert(a.clone()) {
            list.push(a.clone());
        }
    }
}

/// Drop the items of `remove` from `list`, keeping the order of the rest.
fn remove_all<T: Eq + Hash>(list: &mut Vec<T>, remove: &[T]) {
    if remove.is_empty() {
        return;
    }
    let gone: HashSet<&T> = remove.iter().collect();
    list.retain(|x| !gone.contains(x));
}

/// Project roles added and removed. Every role named must exist.
pub(super) fn edit_roles(
    next: &mut User,
    add: &[RoleName],
    remove: &[RoleName],
    catalog: &Catalog,
) -> Result<(), Error> {
    for r in add.iter().chain(remove) {
        if catalog.project_role(r.as_str()).is_none() {
            return Err(role_missing("roleNames", r, ""));
        }
    }
    add_all(&mut next.role_names, add);
    remove_all(&mut next.role_names, remove);
    Ok(())
}

/// One membership change after another. The tenant and every role named must exist.
pub(super) fn edit_tenants(
    next: &mut User,
    edits: &[TenantEdit],
    catalog: &Catalog,
) -> Result<(), Error> {
    for edit in edits {
        let id = edit.tenant_id.as_str();
        if catalog.tenant(id).is_none() {
            return Err(
                FieldError::new("tenantId", format!("tenant {id:?} does not exist")).into(),
            );
        }
        let roles = match &edit.op {
            TenantOp::SetRoles(r) | TenantOp::AddRoles(r) | TenantOp::RemoveRoles(r) => {
                r.as_slice()
            }
            TenantOp::Join | TenantOp::Leave => &[],
        };
        if let Some(missing) = roles
            .iter()
            .find(|r| catalog.tenant_role(id, r.as_str()).is_none())
        {
            return Err(role_missing(
                "roleNames",
                missing,
                &format!(" in tenant {id:?} or at project level"),
            ));
        }
        let pos = next
            .tenants
            .iter()
            .position(|t| t.tenant_id == edit.tenant_id);
        let membership = |next: &mut User| -> usize {
            pos.unwrap_or_else(|| {
                next.tenants.push(UserTenant {
                    tenant_id: edit.tenant_id.clone(),
                    role_names: Vec::new(),
                });
                next.tenants.len() - 1
            })
        };
        match &edit.op {
            TenantOp::Join => {
                membership(next);
            }
            TenantOp::Leave => {
                if let Some(i) = pos {
                    next.tenants.remove(i);
                }
            }
            TenantOp::SetRoles(r) => {
                let i = membership(next);
                next.tenants[i].role_names = r.clone();
            }
            TenantOp::AddRoles(r) => {
                let i = membership(next);
                add_all(&mut next.tenants[i].role_names, r);
            }
            TenantOp::RemoveRoles(r) => {
                let Some(i) = pos else {
                    return Err(FieldError::new(
                        "tenantId",
                        format!("the user is not a member of tenant {id:?}"),
                    )
                    .into());
                };
                remove_all(&mut next.tenants[i].role_names, r);
            }
        }
    }
    Ok(())
}

/// SSO applications added and removed.
pub(super) fn edit_sso_apps(next: &mut User, add: &[String], remove: &[String]) {
    add_all(&mut next.sso_app_ids, add);
    remove_all(&mut next.sso_app_ids, remove);
}

/// Rename or remove one login ID. The new one must not belong to another user; the last
/// login ID cannot be removed.
pub(super) fn change_login_id(
    next: &mut User,
    change: &LoginIdChange,
    owners: &dyn LoginOwners,
) -> Result<(), Error> {
    let at = next
        .login_ids
        .iter()
        .position(|l| l.as_str() == change.from)
        .unwrap_or(0);
    match &change.to {
        None => {
            if next.login_ids.len() <= 1 {
                return Err(FieldError::new(
                    "newLoginId",
                    "a user keeps at least one login ID: the last one cannot be removed",
                )
                .into());
            }
            next.login_ids.remove(at);
        }
        Some(to) => {
            if let Some(owner) = owners.owner(to.as_str())
                && *owner != next.id
            {
                return Err(Error::already_exists(format!(
                    "newLoginId: login ID {:?} belongs to another user",
                    to.as_str()
                )));
            }
            if next.login_ids.contains(to) {
                // Already one of the user's: renaming onto it only drops the old one.
                if next.login_ids[at] != *to {
                    next.login_ids.remove(at);
                }
            } else {
                next.login_ids[at] = to.clone();
            }
        }
    }
    Ok(())
}

/// Set or expire the password.
pub(super) fn change_password(next: &mut User, change: &PasswordChange) {
    match change {
        PasswordChange::Set { hash, expired } => {
            next.has_password = true;
            next.password_hash = Some(hash.clone());
            next.password_expired = *expired;
        }
        PasswordChange::Expire => {
            if next.has_password {
                next.password_expired = true;
            }
        }
    }
}

/// `failOnConflict`: the new email or phone must not be another user's login ID.
pub(super) fn check_conflict(
    field: &str,
    value: Option<&str>,
    user: &User,
    owners: &dyn LoginOwners,
) -> Result<(), Error> {
    if let Some(v) = value
        && let Some(owner) = owners.owner(v)
        && *owner != user.id
    {
        return Err(Error::already_exists(format!(
            "{field}: {v:?} is the login ID of another user"
        )));
    }
    Ok(())
}
