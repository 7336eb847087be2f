//! Creating users: a blank user with a login ID, then the patch rules.
//!
//! Creation checks exactly what a patch checks (it *is* a patch, applied to a blank user
//! by [`Workspace::create`](crate::patch::Workspace::create)), plus that the login ID is
//! free. New users start `invited` unless the request gives a status; test users carry
//! `test: true`.

use crate::error::{Error, FieldError};
use crate::ids::UserId;
use crate::login_id::LoginId;
use crate::patch::{RawUserPatch, UserPatch};
use crate::setting::Setting;
use crate::time::Millis;
use crate::user::User;

/// A create request as the wire gave it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawNewUser {
    pub login_id: Setting<String>,
    pub fields: RawUserPatch,
    pub test: bool,
    /// A password (clear or hashed) was given. Roster does not keep it.
    pub has_password: bool,
    /// `createdTime` in seconds, which `create/batch` lets migrations keep.
    pub created_secs: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewUser {
    pub login_id: LoginId,
    pub patch: UserPatch,
    pub test: bool,
    pub has_password: bool,
    pub created: Option<Millis>,
}

impl NewUser {
    pub fn parse(raw: RawNewUser) -> Result<NewUser, Error> {
        let login_id = match raw.login_id {
            Setting::Set(s) if !s.is_empty() => {
                LoginId::parse(&s).map_err(|reason| FieldError::new("loginId", reason))?
            }
            _ => return Err(Error::missing("loginId")),
        };
        let created = match raw.created_secs {
            Some(s) if s < 0 => {
                return Err(FieldError::new("createdTime", "must not be negative").into());
            }
            Some(0) | None => None,
            Some(s) => Some(Millis::from_secs(s)),
        };
        Ok(NewUser {
            login_id,
            patch: UserPatch::parse(raw.fields)?,
            test: raw.test,
            has_password: raw.has_password,
            created,
        })
    }

    /// The blank user this creation starts from, before the patch rules apply.
    pub fn blank(&self, id: UserId, now: Millis) -> User {
        let mut u = User::blank(id, self.login_id.clone(), now);
        u.test = self.test;
        u.has_password = self.has_password;
        if let Some(c) = self.created {
            u.created = c;
        }
        u
    }
}
