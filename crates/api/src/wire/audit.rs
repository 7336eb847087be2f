//! The audit endpoints' bodies and answers: `POST /v1/mgmt/audit/search` read into an
//! [`AuditQuery`], `POST /v1/mgmt/audit/event` into an [`AppEvent`], and a record as
//! Descope shows one.
//!
//! Quirks: the Python SDK sends `from` and `to` as float milliseconds
//! (`datetime.timestamp() * 1000`), the Go SDK sends every field, unset times as the
//! zero time's (negative) milliseconds; a time of zero or less is no bound. `occurred`
//! is answered as a string of milliseconds, as protojson writes an int64 (the SDKs parse
//! either). Descope's login IDs are `externalIds` on the wire.

use std::borrow::Cow;
use std::fmt;

use roster_domain::audit::{AppEvent, AuditQuery, AuditRecord};
use roster_domain::error::FieldError;
use roster_domain::ids::ProjectId;
use roster_domain::time::Millis;
use roster_domain::{Error, Setting};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::__dev::ComposeSchema;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::Schema;

use super::common::{FlexInt, flag, given, list, number_or_numeric_string};

/// A time in milliseconds that arrives as an integer, a float (truncated) or a numeric
/// string.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct FlexMillis(pub i64);

impl ComposeSchema for FlexMillis {
    fn compose(_: Vec<RefOr<Schema>>) -> RefOr<Schema> {
        number_or_numeric_string(false)
    }
}

impl ToSchema for FlexMillis {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Millis")
    }
}

impl<'de> Deserialize<'de> for FlexMillis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = FlexMillis;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a time in milliseconds (a number or a string holding one)")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<FlexMillis, E> {
                Ok(FlexMillis(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<FlexMillis, E> {
                Ok(FlexMillis(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<FlexMillis, E> {
                if !v.is_finite() {
                    return Err(E::custom("not a finite number"));
                }
                // Saturating: times beyond ±2^63 ms are no time anyone means.
                #[allow(clippy::cast_possible_truncation)]
                Ok(FlexMillis(v.floor() as i64))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FlexMillis, E> {
                let v = v.trim();
                v.parse::<i64>()
                    .map(FlexMillis)
                    .or_else(|_| {
                        v.parse::<f64>().map_err(|_| ()).and_then(|f| {
                            if f.is_finite() {
                                #[allow(clippy::cast_possible_truncation)]
                                Ok(FlexMillis(f.floor() as i64))
                            } else {
                                Err(())
                            }
                        })
                    })
                    .map_err(|()| E::custom(format!("{v:?} is not a time in milliseconds")))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct AuditSearchBody {
    pub user_ids: Setting<Vec<String>>,
    pub actions: Setting<Vec<String>>,
    pub excluded_actions: Setting<Vec<String>>,
    pub devices: Setting<Vec<String>>,
    pub methods: Setting<Vec<String>>,
    pub geos: Setting<Vec<String>>,
    pub remote_addresses: Setting<Vec<String>>,
    /// The login IDs (Descope's name).
    pub external_ids: Setting<Vec<String>>,
    pub tenants: Setting<Vec<String>>,
    pub no_tenants: Setting<bool>,
    pub text: Setting<String>,
    pub from: Setting<FlexMillis>,
    pub to: Setting<FlexMillis>,
    pub limit: Setting<FlexInt>,
    pub page: Setting<FlexInt>,
}

/// A time bound, when there is one (zero or less: none).
fn bound(v: &Setting<FlexMillis>) -> Option<Millis> {
    v.set().filter(|t| t.0 > 0).map(|t| Millis(t.0))
}

fn count(field: &str, v: &Setting<FlexInt>) -> Result<u32, Error> {
    let n = v.set().map_or(0, |f| f.0);
    u32::try_from(n).map_err(|_| FieldError::new(field, "must be between 0 and 4294967295").into())
}

impl AuditSearchBody {
    pub fn into_query(self) -> Result<AuditQuery, Error> {
        let q = AuditQuery {
            user_ids: list(&self.user_ids),
            actions: list(&self.actions),
            excluded_actions: list(&self.excluded_actions),
            login_ids: list(&self.external_ids),
            tenants: list(&self.tenants),
            no_tenants: flag(&self.no_tenants),
            remote_addresses: list(&self.remote_addresses),
            devices: list(&self.devices),
            methods: list(&self.methods),
            geos: list(&self.geos),
            text: given(&self.text).unwrap_or_default().to_string(),
            from: bound(&self.from),
            to: bound(&self.to),
            page: count("page", &self.page)?,
            limit: count("limit", &self.limit)?,
        };
        Ok(q.check()?)
    }
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct AuditEventBody {
    pub action: Setting<String>,
    #[serde(rename = "type")]
    pub kind: Setting<String>,
    pub actor_id: Setting<String>,
    pub tenant_id: Setting<String>,
    pub user_id: Setting<String>,
    #[schema(value_type = Option<Object>)]
    pub data: Setting<Map<String, Value>>,
}

impl AuditEventBody {
    pub fn into_event(self) -> AppEvent {
        let text = |s: &Setting<String>| given(s).unwrap_or_default().to_string();
        AppEvent {
            action: text(&self.action),
            kind: text(&self.kind),
            actor_id: text(&self.actor_id),
            tenant_id: text(&self.tenant_id),
            user_id: text(&self.user_id),
            data: self.data.set().cloned().unwrap_or_default(),
        }
    }
}

/// A record as Descope shows one, and the management key behind it (Roster's own
/// field; empty for the command line and the server).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecordDto {
    pub project_id: String,
    pub user_id: String,
    pub action: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub actor_id: String,
    pub occurred: String,
    pub device: &'static str,
    pub method: &'static str,
    pub geo: &'static str,
    pub remote_address: String,
    pub external_ids: Vec<String>,
    pub tenants: Vec<String>,
    #[schema(value_type = Object)]
    pub data: Map<String, Value>,
    pub management_key_id: String,
}

impl AuditRecordDto {
    pub fn render(project: &ProjectId, r: AuditRecord) -> Self {
        AuditRecordDto {
            project_id: project.as_str().to_string(),
            user_id: r.user_id,
            action: r.action,
            kind: r.kind.as_str(),
            actor_id: r.actor,
            occurred: r.occurred.0.to_string(),
            device: "",
            method: "",
            geo: "",
            remote_address: r.remote_address,
            external_ids: r.login_ids,
            tenants: r.tenants,
            data: r.data.to_map(),
            management_key_id: r.key.map(|k| k.into_string()).unwrap_or_default(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditSearchAnswer {
    pub audits: Vec<AuditRecordDto>,
    pub total: u64,
}
