//! [`User`]: a user as Roster stores it.
//!
//! This is the record the patch rules read and write. What the wire shows on top of it
//! (`permissions`, `tenantName`, the factor flags that are always `false` here) is
//! computed when a user is shown, from the project's [`Catalog`](crate::catalog::Catalog).

use serde_json::{Map, Value};

use crate::email::Email;
use crate::ids::{TenantId, UserId};
use crate::login_id::LoginId;
use crate::names::RoleName;
use crate::password::PasswordHash;
use crate::phone::Phone;
use crate::status::UserStatus;
use crate::time::Millis;

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    /// Every login ID; the first is the primary one and never changes by patch.
    pub login_ids: Vec<LoginId>,
    pub name: String,
    pub given_name: String,
    pub middle_name: String,
    pub family_name: String,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub picture: String,
    pub verified_email: bool,
    pub verified_phone: bool,
    pub status: UserStatus,
    pub test: bool,
    /// Shown as `SCIM`: the user was provisioned or last changed through SCIM.
    pub scim: bool,
    /// Shown as `password`: the user has a password, given at creation (clear or hashed)
    /// or set through `password/set/*`.
    pub has_password: bool,
    /// The Argon2id hash of the password Roster was given, when it was given in clear.
    /// Never shown.
    pub password_hash: Option<PasswordHash>,
    /// The password must be replaced at the next sign-in: it was set as temporary, or
    /// expired through `password/expire`.
    pub password_expired: bool,
    /// The address and number used to recover the account (`update/recovery/*`).
    pub recovery_email: Option<Email>,
    pub verified_recovery_email: bool,
    pub recovery_phone: Option<Phone>,
    pub verified_recovery_phone: bool,
    /// Project-level roles, in the order given, without repeats.
    pub role_names: Vec<RoleName>,
    pub tenants: Vec<UserTenant>,
    pub sso_app_ids: Vec<String>,
    pub external_ids: Vec<String>,
    pub custom_attributes: Map<String, Value>,
    pub created: Millis,
    pub modified: Millis,
    /// Moves by one on every change, starting at 1.
    pub version: i64,
}

/// A user's membership of one tenant, with the roles the user holds there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserTenant {
    pub tenant_id: TenantId,
    pub role_names: Vec<RoleName>,
}

impl User {
    /// A user with nothing but an ID and a primary login ID, as creation starts.
    pub fn blank(id: UserId, login_id: LoginId, now: Millis) -> Self {
        Self {
            id,
            login_ids: vec![login_id],
            name: String::new(),
            given_name: String::new(),
            middle_name: String::new(),
            family_name: String::new(),
            email: None,
            phone: None,
            picture: String::new(),
            verified_email: false,
            verified_phone: false,
            status: UserStatus::Invited,
            test: false,
            scim: false,
            has_password: false,
            password_hash: None,
            password_expired: false,
            recovery_email: None,
            verified_recovery_email: false,
            recovery_phone: None,
            verified_recovery_phone: false,
            role_names: Vec::new(),
            tenants: Vec::new(),
            sso_app_ids: Vec::new(),
            external_ids: Vec::new(),
            custom_attributes: Map::new(),
            created: now,
            modified: now,
            version: 1,
        }
    }

    /// Whether `other` holds the same data, bookkeeping (`modified`, `version`) aside.
    pub fn same_data(&self, other: &User) -> bool {
        // Destructured so that a field added to `User` cannot be forgotten here.
        let User {
            id,
            login_ids,
            name,
            given_name,
            middle_name,
            family_name,
            email,
            phone,
            picture,
            verified_email,
            verified_phone,
            status,
            test,
            scim,
            has_password,
            password_hash,
            password_expired,
            recovery_email,
            verified_recovery_email,
            recovery_phone,
            verified_recovery_phone,
            role_names,
            tenants,
            sso_app_ids,
            external_ids,
            custom_attributes,
            created,
            modified: _,
            version: _,
        } = self;
        *id == other.id
            && *login_ids == other.login_ids
            && *name == other.name
            && *given_name == other.given_name
            && *middle_name == other.middle_name
            && *family_name == other.family_name
            && *email == other.email
            && *phone == other.phone
            && *picture == other.picture
            && *verified_email == other.verified_email
            && *verified_phone == other.verified_phone
            && *status == other.status
            && *test == other.test
            && *scim == other.scim
            && *has_password == other.has_password
            && *password_hash == other.password_hash
            && *password_expired == other.password_expired
            && *recovery_email == other.recovery_email
            && *verified_recovery_email == other.verified_recovery_email
            && *recovery_phone == other.recovery_phone
            && *verified_recovery_phone == other.verified_recovery_phone
            && *role_names == other.role_names
            && *tenants == other.tenants
            && *sso_app_ids == other.sso_app_ids
            && *external_ids == other.external_ids
            && *custom_attributes == other.custom_attributes
            && *created == other.created
    }

    /// What the user holds, in bytes: its text (ID, login IDs, names, email, phone,
    /// picture, recovery email and phone, role and tenant names, SSO application and
    /// external IDs) and its custom
    /// attributes as JSON. This is what [`caps::USER_BYTES`](crate::caps::USER_BYTES)
    /// caps; bookkeeping (flags, times, version) is not counted.
    pub fn stored_bytes(&self) -> usize {
        let strings = |v: &[String]| v.iter().map(String::len).sum::<usize>();
        self.id.as_str().len()
            + self
                .login_ids
                .iter()
                .map(|l| l.as_str().len())
                .sum::<usize>()
            + self.name.len()
            + self.given_name.len()
            + self.middle_name.len()
            + self.family_name.len()
            + self.email.as_ref().map_or(0, |e| e.as_str().len())
            + self.phone.as_ref().map_or(0, |p| p.as_str().len())
            + self.picture.len()
            + self.recovery_email.as_ref().map_or(0, |e| e.as_str().len())
            + self.recovery_phone.as_ref().map_or(0, |p| p.as_str().len())
            + self
                .role_names
                .iter()
                .map(|r| r.as_str().len())
                .sum::<usize>()
            + self
                .tenants
                .iter()
                .map(|t| {
                    t.tenant_id.as_str().len()
                        + t.role_names.iter().map(|r| r.as_str().len()).sum::<usize>()
                })
                .sum::<usize>()
            + strings(&self.sso_app_ids)
            + strings(&self.external_ids)
            + self
                .custom_attributes
                .iter()
                .map(|(k, v)| k.len() + json_len(v))
                .sum::<usize>()
    }

    pub fn primary_login_id(&self) -> Option<&LoginId> {
        self.login_ids.first()
    }
}

/// The length of a JSON value's text, without building the text.
fn json_len(v: &Value) -> usize {
    match v {
        Value::Null => 4,
        Value::Bool(b) => {
            if *b {
                4
            } else {
                5
            }
        }
        Value::Number(n) => n.to_string().len(),
        Value::String(s) => s.len() + 2,
        Value::Array(items) => 2 + items.iter().map(|i| json_len(i) + 1).sum::<usize>(),
        Value::Object(map) => {
            2 + map
                .iter()
                .map(|(k, v)| k.len() + 4 + json_len(v))
                .sum::<usize>()
        }
    }
}
