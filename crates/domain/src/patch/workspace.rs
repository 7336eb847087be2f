//! [`Workspace`]: the users of one batch, loaded once, and the items applied to them in
//! request order, exactly as if they were sent one by one: the same user twice gets both
//! patches, and a login ID released by one item can be taken by a later one. Stores then
//! write [`Workspace::into_changes`].

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::{UserPatch, apply_patch};
use crate::catalog::Catalog;
use crate::error::Error;
use crate::ids::UserId;
use crate::login_id::LoginId;
use crate::time::Millis;
use crate::user::User;

/// Why an item of a batch failed, and the user as it stood (when there is one).
#[derive(Debug, Clone, PartialEq)]
pub struct ItemFailure {
    pub error: Error,
    /// The user as it stands (shared with the batch: never a copy).
    pub user: Option<Arc<User>>,
}

/// One item of a patch batch, as the HTTP layer read it.
#[derive(Debug, Clone, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "nearly every item is Ready; boxing it would only add an allocation per item"
)]
pub enum PatchItem {
    /// A selector and a patch that parsed.
    Ready { selector: String, patch: UserPatch },
    /// A selector, but a patch that could not be read.
    Invalid { selector: String, error: Error },
    /// No usable `loginId`: reported in `additionalErrors` under `users[index]`.
    Unaddressable { message: String },
}

/// What became of one item of a patch batch.
#[derive(Debug, Clone, PartialEq)]
#[allow(
    clippy::large_enum_variant,
    reason = "most outcomes are Patched; boxing them would only add an allocation per item"
)]
pub enum PatchOutcome {
    /// The user as it stands right after this item (shared: an item that changed
    /// nothing holds the same user as the item before it, not a copy).
    Patched(Arc<User>),
    Failed {
        selector: String,
        failure: ItemFailure,
    },
    Unaddressable {
        index: usize,
        message: String,
    },
}

/// A user a batch changed, with which of its lists changed (stores rewrite only those).
#[derive(Debug, Clone, PartialEq)]
pub struct UserChange {
    pub user: Arc<User>,
    /// The user as loaded, before the batch (`None`: the batch created it); the audit
    /// trail records the difference.
    pub before: Option<Arc<User>>,
    pub created: bool,
    pub login_ids_changed: bool,
    pub roles_changed: bool,
    pub tenants_changed: bool,
    /// The tenants themselves (not only the roles in them) changed: a membership was
    /// added, removed or moved.
    pub memberships_changed: bool,
}

impl UserChange {
    /// A user new to the store: every list of it is written.
    pub fn created(user: Arc<User>) -> Self {
        UserChange {
            user,
            before: None,
            created: true,
            login_ids_changed: true,
            roles_changed: true,
            tenants_changed: true,
            memberships_changed: true,
        }
    }
}

/// The users of one batch, loaded once, and everything known about login ID owners.
/// Users are shared (`Arc`), so an item, an outcome and the loaded original hold the same
/// user unless the item changed it.
#[derive(Debug, Default)]
pub struct Workspace {
    users: HashMap<UserId, Arc<User>>,
    /// The users as loaded, to tell which of their lists a batch changed.
    originals: HashMap<UserId, Arc<User>>,
    owners: HashMap<String, UserId>,
    touched: Vec<UserId>,
    touched_set: HashSet<UserId>,
}

impl Workspace {
    /// `users`: every user the batch may touch. `owners`: the owner of each other login
    /// ID the batch mentions (the users' own login IDs are added here).
    pub fn new(users: Vec<User>, owners: impl IntoIterator<Item = (String, UserId)>) -> Self {
        let mut ws = Workspace {
            owners: owners.into_iter().collect(),
            ..Default::default()
        };
        for u in users {
            for l in &u.login_ids {
                ws.owners.insert(l.as_str().to_string(), u.id.clone());
            }
            let u = Arc::new(u);
            ws.originals.insert(u.id.clone(), u.clone());
            ws.users.insert(u.id.clone(), u);
        }
        ws
    }

    /// The user a selector names now: the owner of that login ID, else the user with
    /// that user ID.
    pub fn resolve(&self, selector: &str) -> Option<&Arc<User>> {
        self.owners
            .get(selector)
            .and_then(|id| self.users.get(id))
            .or_else(|| self.users.get(selector))
    }

    fn touch(&mut self, id: &UserId) {
        if self.touched_set.insert(id.clone()) {
            self.touched.push(id.clone());
        }
    }

    /// Make `after` the user's state; `old_logins` are the login IDs it had before.
    fn commit(&mut self, old_logins: &[LoginId], after: Arc<User>) {
        for l in old_logins {
            if self.owners.get(l.as_str()) == Some(&after.id) {
                self.owners.remove(l.as_str());
            }
        }
        for l in &after.login_ids {
            self.owners.insert(l.as_str().to_string(), after.id.clone());
        }
        let id = after.id.clone();
        self.users.insert(id.clone(), after);
        self.touch(&id);
    }

    /// Patch the user `selector` names. On success the user is changed here and
    /// returned (the same user when nothing changed); on failure nothing changes.
    pub fn patch(
        &mut self,
        selector: &str,
        patch: &UserPatch,
        catalog: &Catalog,
        now: Millis,
    ) -> Result<Arc<User>, ItemFailure> {
        let Some(user) = self.resolve(selector).cloned() else {
            return Err(ItemFailure {
                error: Error::user_not_found(selector),
                user: None,
            });
        };
        match apply_patch(&user, patch, catalog, &self.owners, now) {
            Ok(next) if next.version != user.version => {
                let next = Arc::new(next);
                self.commit(&user.login_ids, next.clone());
                Ok(next)
            }
            Ok(_) => Ok(user),
            Err(error) => Err(ItemFailure {
                error,
                user: Some(user),
            }),
        }
    }

    /// Create a user (see [`crate::create`]).
    pub fn create(
        &mut self,
        user: User,
        patch: &UserPatch,
        catalog: &Catalog,
        now: Millis,
    ) -> Result<Arc<User>, ItemFailure> {
        let fail = |error: Error| ItemFailure { error, user: None };
        let Some(primary) = user.login_ids.first() else {
            return Err(fail(Error::missing("loginId")));
        };
        if self.owners.contains_key(primary.as_str()) {
            return Err(fail(Error::already_exists(format!(
                "loginId: login ID {:?} is already taken",
                primary.as_str()
            ))));
        }
        let mut created = apply_patch(&user, patch, catalog, &self.owners, now).map_err(fail)?;
        created.version = 1;
        created.modified = now;
        let created = Arc::new(created);
        self.commit(&[], created.clone());
        Ok(created)
    }

    /// Apply the items of a patch batch in order.
    pub fn apply_batch(
        &mut self,
        items: &[PatchItem],
        catalog: &Catalog,
        now: Millis,
    ) -> Vec<PatchOutcome> {
        items
            .iter()
            .enumerate()
            .map(|(index, item)| self.apply_item(index, item, catalog, now))
            .collect()
    }

    /// Apply one item, the `index`th of its request.
    pub fn apply_item(
        &mut self,
        index: usize,
        item: &PatchItem,
        catalog: &Catalog,
        now: Millis,
    ) -> PatchOutcome {
        match item {
            PatchItem::Ready { selector, patch } => match self.patch(selector, patch, catalog, now)
            {
                Ok(user) => PatchOutcome::Patched(user),
                Err(failure) => PatchOutcome::Failed {
                    selector: selector.clone(),
                    failure,
                },
            },
            PatchItem::Invalid { selector, error } => PatchOutcome::Failed {
                selector: selector.clone(),
                failure: ItemFailure {
                    error: error.clone(),
                    user: self.resolve(selector).cloned(),
                },
            },
            PatchItem::Unaddressable { message } => PatchOutcome::Unaddressable {
                index,
                message: message.clone(),
            },
        }
    }

    /// The users that changed, in the order they were first changed.
    pub fn into_changes(mut self) -> Vec<UserChange> {
        self.touched
            .iter()
            .filter_map(|id| {
                let user = self.users.remove(id)?;
                Some(match self.originals.get(id) {
                    None => UserChange::created(user),
                    Some(orig) => UserChange {
                        created: false,
                        login_ids_changed: orig.login_ids != user.login_ids,
                        roles_changed: orig.role_names != user.role_names,
                        tenants_changed: orig.tenants != user.tenants,
                        memberships_changed: !orig
                            .tenants
                            .iter()
                            .map(|t| &t.tenant_id)
                            .eq(user.tenants.iter().map(|t| &t.tenant_id)),
                        before: Some(orig.clone()),
                        user,
                    },
                })
            })
            .collect()
    }
}

/// What a store must load before applying `items`: the selectors (login IDs or user
/// IDs of the users to load) and the other login IDs whose owners matter.
pub fn batch_lookups(items: &[PatchItem]) -> (Vec<&str>, Vec<&str>) {
    let mut selectors = Vec::new();
    let mut logins = Vec::new();
    for item in items {
        match item {
            PatchItem::Ready { selector, patch } => {
                selectors.push(selector.as_str());
                logins.extend(patch.mentioned_login_ids());
            }
            PatchItem::Invalid { selector, .. } => selectors.push(selector.as_str()),
            PatchItem::Unaddressable { .. } => {}
        }
    }
    (selectors, logins)
}
