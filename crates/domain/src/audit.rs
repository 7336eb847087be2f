//! The audit trail: who changed what, when, and from where.
//!
//! Every change Roster makes writes [`AuditRecord`]s in the same transaction as the
//! change itself: a user batch one record per user it changed (set-based, like the users),
//! a cascade one record per user it changed, a tenant, role, permission, attribute
//! definition or key one record each. Stores only write what this module builds; the
//! records are built here, from the domain's own values:
//! - [`Origin`]: who made a change (a management key, the command line, the server at
//!   start-up), from which address, and when. Every store write takes one.
//! - [`records`]: the records of each kind of change, and the field-by-field diff of a
//!   user ([`records::user_changes`]), which never holds a password, a hash or a key.
//! - [`AuditQuery`]: the filter of `POST /v1/mgmt/audit/search`, checked.
//!
//! An application adds its own events (`POST /v1/mgmt/audit/event`) through
//! [`AppEvent`], which may not use the actions Roster itself writes, so that the trail of
//! Roster's changes cannot be forged.

use std::net::IpAddr;

use serde_json::{Map, Value};

use crate::caps;
use crate::error::{Error, FieldError};
use crate::ids::KeyId;
use crate::time::Millis;

pub mod records;

/// Who made a change, from where, and when. With `audited` false (the operator turned
/// the audit trail off), stores write no record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The management key's ID, `cli` for the command line, `roster` for the server itself.
    pub actor: String,
    /// The management key behind the request, when there is one.
    pub key: Option<KeyId>,
    /// The client's address, `""` when the change did not come over the network.
    pub remote_address: String,
    pub now: Millis,
    pub audited: bool,
}

impl Origin {
    /// A request made with a management key, from `client`.
    pub fn key(key: &KeyId, client: Option<IpAddr>, now: Millis) -> Self {
        Origin {
            actor: key.as_str().to_string(),
            key: Some(key.clone()),
            remote_address: client.map(|a| a.to_string()).unwrap_or_default(),
            now,
            audited: true,
        }
    }

    /// A change made on the command line (`roster key create`...).
    pub fn command_line(now: Millis) -> Self {
        Origin {
            actor: COMMAND_LINE.to_string(),
            key: None,
            remote_address: String::new(),
            now,
            audited: true,
        }
    }

    /// A change the server makes on its own (the first start's key, a key given in
    /// `ROSTER_MANAGEMENT_KEY`).
    pub fn server(now: Millis) -> Self {
        Origin {
            actor: SERVER.to_string(),
            ..Origin::command_line(now)
        }
    }

    /// The same origin, recording nothing (`--audit-retention-days 0`).
    pub fn unaudited(self) -> Self {
        Origin {
            audited: false,
            ..self
        }
    }
}

/// The actor of changes made on the command line.
pub const COMMAND_LINE: &str = "cli";
/// The actor of changes the server makes on its own.
pub const SERVER: &str = "roster";

/// How serious a record is (Descope's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditKind {
    Info,
    Warn,
    Error,
}

impl AuditKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::Info => "info",
            AuditKind::Warn => "warn",
            AuditKind::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "info" => Some(AuditKind::Info),
            "warn" => Some(AuditKind::Warn),
            "error" => Some(AuditKind::Error),
            _ => None,
        }
    }
}

/// One record of the trail.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditRecord {
    /// When, in ms.
    pub occurred: Millis,
    /// What happened: one of [`actions`], or an application's own action.
    pub action: String,
    pub kind: AuditKind,
    /// Who: see [`Origin::actor`]; for an application's event, the actor it named.
    pub actor: String,
    /// The management key behind the request, when there was one.
    pub key: Option<KeyId>,
    pub remote_address: String,
    /// The user it is about (`""`: none).
    pub user_id: String,
    /// That user's login IDs when the record was written.
    pub login_ids: Vec<String>,
    /// The tenants involved.
    pub tenants: Vec<String>,
    /// What changed; for a user, `changes` maps each changed field to its old and new
    /// values.
    pub data: AuditData,
}

/// A record's `data`: a JSON object, kept as its text. A batch's records are built as
/// text once and written as they are (no tree of values per user, no second
/// serialization); reading one parses it ([`AuditData::to_map`]). Two are equal when
/// they hold the same JSON, whatever its spacing or key order.
#[derive(Debug, Clone)]
pub struct AuditData(String);

impl AuditData {
    /// The text of `map`.
    pub fn from_map(map: &Map<String, Value>) -> Self {
        AuditData(serde_json::to_string(map).unwrap_or_else(|_| "{}".to_string()))
    }

    /// Text this crate wrote (read back from a store).
    pub fn from_stored(text: String) -> Self {
        AuditData(text)
    }

    /// Text of an object written by [`records`].
    pub(crate) fn from_text(text: String) -> Self {
        AuditData(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The object (empty if the text is not one: never, for text this crate wrote).
    pub fn to_map(&self) -> Map<String, Value> {
        serde_json::from_str(&self.0).unwrap_or_default()
    }

    /// The value of `key`, or `null`.
    pub fn get(&self, key: &str) -> Value {
        self.to_map().remove(key).unwrap_or(Value::Null)
    }
}

impl Default for AuditData {
    fn default() -> Self {
        AuditData("{}".to_string())
    }
}

impl PartialEq for AuditData {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0 || self.to_map() == other.to_map()
    }
}

impl AuditRecord {
    /// Whether two records share everything but whom they are about and what changed
    /// (a batch's records all do): stores write such a run with its header once.
    pub fn same_header(&self, other: &AuditRecord) -> bool {
        self.occurred == other.occurred
            && self.action == other.action
            && self.kind == other.kind
            && self.actor == other.actor
            && self.key == other.key
            && self.remote_address == other.remote_address
    }

    /// A record of `action` by `origin`, about nothing yet.
    pub fn new(origin: &Origin, action: &str) -> Self {
        AuditRecord {
            occurred: origin.now,
            action: action.to_string(),
            kind: AuditKind::Info,
            actor: origin.actor.clone(),
            key: origin.key.clone(),
            remote_address: origin.remote_address.clone(),
            user_id: String::new(),
            login_ids: Vec::new(),
            tenants: Vec::new(),
            data: AuditData::default(),
        }
    }
}

/// The actions Roster writes. Descope's names where Descope has the action.
pub mod actions {
    pub const USER_CREATED: &str = "UserCreated";
    pub const USER_MODIFIED: &str = "UserModified";
    pub const USER_DELETED: &str = "UserDeleted";
    pub const TENANT_CREATED: &str = "TenantCreated";
    pub const TENANT_MODIFIED: &str = "TenantModified";
    pub const TENANT_DELETED: &str = "TenantDeleted";
    pub const ROLE_CREATED: &str = "RoleCreated";
    pub const ROLE_MODIFIED: &str = "RoleModified";
    pub const ROLE_DELETED: &str = "RoleDeleted";
    pub const PERMISSION_CREATED: &str = "PermissionCreated";
    pub const PERMISSION_MODIFIED: &str = "PermissionModified";
    pub const PERMISSION_DELETED: &str = "PermissionDeleted";
    pub const ATTRIBUTE_CREATED: &str = "CustomAttributeCreated";
    pub const ATTRIBUTE_MODIFIED: &str = "CustomAttributeModified";
    pub const ATTRIBUTE_DELETED: &str = "CustomAttributeDeleted";
    pub const KEY_CREATED: &str = "ManagementKeyCreated";
    pub const KEY_MODIFIED: &str = "ManagementKeyModified";
    pub const KEY_REVOKED: &str = "ManagementKeyRevoked";
    pub const KEY_DELETED: &str = "ManagementKeyDeleted";

    /// Every action Roster writes itself: no application event may use one.
    pub const ALL: &[&str] = &[
        USER_CREATED,
        USER_MODIFIED,
        USER_DELETED,
        TENANT_CREATED,
        TENANT_MODIFIED,
        TENANT_DELETED,
        ROLE_CREATED,
        ROLE_MODIFIED,
        ROLE_DELETED,
        PERMISSION_CREATED,
        PERMISSION_MODIFIED,
        PERMISSION_DELETED,
        ATTRIBUTE_CREATED,
        ATTRIBUTE_MODIFIED,
        ATTRIBUTE_DELETED,
        KEY_CREATED,
        KEY_MODIFIED,
        KEY_REVOKED,
        KEY_DELETED,
    ];
}

/// An application's own event (`POST /v1/mgmt/audit/event`), as the wire gave it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AppEvent {
    pub action: String,
    pub kind: String,
    pub actor_id: String,
    pub tenant_id: String,
    pub user_id: String,
    pub data: Map<String, Value>,
}

/// The largest `data` of an application's event, as JSON: bytes.
pub const EVENT_DATA_BYTES: usize = 16 * 1024;

impl AppEvent {
    /// The record of the event, made by `origin`. An event that names no action, actor
    /// or tenant is missing arguments; one of an unknown type, with one of Roster's own
    /// actions, or too large fails validation.
    pub fn record(&self, origin: &Origin) -> Result<AuditRecord, Error> {
        for (field, v) in [
            ("action", &self.action),
            ("actorId", &self.actor_id),
            ("tenantId", &self.tenant_id),
        ] {
            if v.trim().is_empty() {
                return Err(Error::missing(field));
            }
            caps::chars(field, v, caps::ITEM_CHARS)?;
        }
        caps::chars("userId", &self.user_id, caps::ITEM_CHARS)?;
        if actions::ALL.contains(&self.action.as_str()) {
            return Err(FieldError::new(
                "action",
                format!(
                    "{:?} is an action Roster records itself; an application's event needs an action of its own",
                    self.action
                ),
            )
            .into());
        }
        let kind = AuditKind::parse(&self.kind)
            .ok_or_else(|| FieldError::new("type", "must be one of info, warn, error"))?;
        let bytes = serde_json::to_vec(&self.data).map_or(usize::MAX, |v| v.len());
        if bytes > EVENT_DATA_BYTES {
            return Err(FieldError::new(
                "data",
                format!("must be at most {EVENT_DATA_BYTES} bytes of JSON"),
            )
            .into());
        }
        let mut record = AuditRecord::new(origin, &self.action);
        record.kind = kind;
        record.actor = self.actor_id.clone();
        record.user_id = self.user_id.clone();
        record.tenants = vec![self.tenant_id.clone()];
        record.data = AuditData::from_map(&self.data);
        Ok(record)
    }
}

/// Most records one search answers (Descope's default and maximum page size).
pub const MAX_PAGE: u32 = 1_000;

/// The filter of `POST /v1/mgmt/audit/search`. Empty lists mean "no filter".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub user_ids: Vec<String>,
    pub actions: Vec<String>,
    pub excluded_actions: Vec<String>,
    /// Records naming any of these login IDs (Descope's `externalIds`).
    pub login_ids: Vec<String>,
    /// Records naming any of these tenants...
    pub tenants: Vec<String>,
    /// ...and, with a tenant filter, records that name no tenant at all too.
    pub no_tenants: bool,
    pub remote_addresses: Vec<String>,
    /// Devices, sign-in methods and countries: Roster records none, so a filter on any
    /// of them matches nothing.
    pub devices: Vec<String>,
    pub methods: Vec<String>,
    pub geos: Vec<String>,
    /// Case-insensitive text anywhere in the record.
    pub text: String,
    /// Records from this time on (inclusive).
    pub from: Option<Millis>,
    /// Records up to this time (inclusive).
    pub to: Option<Millis>,
    /// Zero-based page of `limit` records.
    pub page: u32,
    pub limit: u32,
}

impl AuditQuery {
    /// The caps every list and the text keep; a `limit` of 0 means the largest page.
    pub fn check(mut self) -> Result<Self, FieldError> {
        for (field, list) in [
            ("userIds", &self.user_ids),
            ("actions", &self.actions),
            ("excludedActions", &self.excluded_actions),
            ("externalIds", &self.login_ids),
            ("tenants", &self.tenants),
            ("remoteAddresses", &self.remote_addresses),
            ("devices", &self.devices),
            ("methods", &self.methods),
            ("geos", &self.geos),
        ] {
            caps::items(field, list.len(), caps::SEARCH_LIST_ITEMS)?;
        }
        caps::chars("text", &self.text, caps::SEARCH_TEXT_CHARS)?;
        if self.limit == 0 {
            self.limit = MAX_PAGE;
        }
        if self.limit > MAX_PAGE {
            return Err(FieldError::new(
                "limit",
                format!("must be at most {MAX_PAGE}"),
            ));
        }
        Ok(self)
    }

    /// Whether no record can match (a filter on what Roster does not record).
    pub fn matches_nothing(&self) -> bool {
        !self.devices.is_empty() || !self.methods.is_empty() || !self.geos.is_empty()
    }

    /// How many records to skip.
    pub fn offset(&self) -> u64 {
        u64::from(self.page) * u64::from(self.limit)
    }

    /// Only records from `oldest` on: what the retention keeps.
    pub fn within(mut self, oldest: Millis) -> Self {
        self.from = Some(self.from.map_or(oldest, |f| f.max(oldest)));
        self
    }

    /// Whether `record` matches (the rule every store's query implements; the
    /// conformance suite compares the two).
    pub fn matches(&self, r: &AuditRecord) -> bool {
        let any = |want: &[String], have: &[String]| {
            want.is_empty() || want.iter().any(|w| have.contains(w))
        };
        let one = |want: &[String], have: &str| want.is_empty() || want.iter().any(|w| w == have);
        !self.matches_nothing()
            && one(&self.user_ids, &r.user_id)
            && one(&self.actions, &r.action)
            && !self.excluded_actions.contains(&r.action)
            && any(&self.login_ids, &r.login_ids)
            && (self.tenants.is_empty()
                || any(&self.tenants, &r.tenants)
                || (self.no_tenants && r.tenants.is_empty()))
            && one(&self.remote_addresses, &r.remote_address)
            && self.from.is_none_or(|f| r.occurred >= f)
            && self.to.is_none_or(|t| r.occurred <= t)
            && (self.text.is_empty()
                || searchable_text(r).contains(&self.text.to_ascii_lowercase()))
    }
}

/// The text `text` searches: every field of the record, JSON for the lists and the
/// data, with ASCII letters lower-cased (stores fold case the same way, whatever their
/// collation). Stores search the same columns.
pub fn searchable_text(r: &AuditRecord) -> String {
    fn json<T: serde::Serialize>(v: &T) -> String {
        serde_json::to_string(v).unwrap_or_default()
    }
    [
        r.action.as_str(),
        r.kind.as_str(),
        r.actor.as_str(),
        r.remote_address.as_str(),
        r.user_id.as_str(),
        &json(&r.login_ids),
        &json(&r.tenants),
        r.data.as_str(),
    ]
    .join("\n")
    .to_ascii_lowercase()
}
