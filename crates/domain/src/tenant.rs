//! Tenants: the organisations users belong to.
//!
//! A tenant's ID and its name are each unique within a project. Tenant custom attributes
//! are kept as given: Roster has no tenant attribute definitions, so it checks only that
//! they form a JSON object.

use serde_json::{Map, Value};

use crate::caps;
use crate::error::FieldError;
use crate::ids::TenantId;
use crate::names::{Label, RoleName};
use crate::time::Millis;

#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    pub id: TenantId,
    pub spec: TenantSpec,
    pub created: Millis,
    /// IDs of the tenants whose `parent` is this one.
    pub successors: Vec<TenantId>,
}

/// Everything a create or update request sets on a tenant. Update replaces all of it
/// (as Descope's update does) except the parent, which only create sets.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantSpec {
    pub name: Label,
    pub self_provisioning_domains: Vec<String>,
    pub custom_attributes: Map<String, Value>,
    pub enforce_sso: bool,
    pub enforce_sso_exclusions: Vec<String>,
    pub federated_app_ids: Vec<String>,
    pub disabled: bool,
    pub parent: Option<TenantId>,
    pub role_inheritance: String,
    pub default_roles: Vec<RoleName>,
    /// The session settings of `/v1/mgmt/tenant/settings` that are not tenant fields
    /// (see [`SETTINGS`]), in Descope's names. Only the settings endpoint changes them.
    pub settings: Map<String, Value>,
}

/// What an existing tenant's update does to it, worked out against its current fields
/// inside the store's transaction (so that two concurrent changes never lose one).
#[derive(Debug, Clone, PartialEq)]
pub enum TenantChange {
    /// `tenant/update`: every field but the parent and the settings.
    Replace(TenantSpec),
    /// `tenant/patch`, `tenant/updateDefaultRoles` and `POST tenant/settings`: only the
    /// fields given.
    Patch(TenantPatch),
}

/// The fields a tenant patch sets; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TenantPatch {
    pub name: Option<Label>,
    pub self_provisioning_domains: Option<Vec<String>>,
    pub custom_attributes: Option<Map<String, Value>>,
    pub enforce_sso: Option<bool>,
    pub enforce_sso_exclusions: Option<Vec<String>>,
    pub federated_app_ids: Option<Vec<String>>,
    pub disabled: Option<bool>,
    pub role_inheritance: Option<String>,
    pub default_roles: Option<Vec<RoleName>>,
    /// Settings merged key by key into the stored ones (checked with [`check_settings`]).
    pub settings: Map<String, Value>,
}

impl TenantChange {
    /// The tenant's fields after the change.
    pub fn apply(&self, current: &TenantSpec) -> Result<TenantSpec, FieldError> {
        let next = match self {
            TenantChange::Replace(spec) => TenantSpec {
                parent: current.parent.clone(),
                settings: current.settings.clone(),
                ..spec.clone()
            },
            TenantChange::Patch(p) => {
                let mut next = current.clone();
                let set = |field: &mut _, v: &Option<_>| {
                    if let Some(v) = v {
                        *field = Clone::clone(v);
                    }
                };
                if let Some(n) = &p.name {
                    next.name = n.clone();
                }
                set(
                    &mut next.self_provisioning_domains,
                    &p.self_provisioning_domains,
                );
                if let Some(a) = &p.custom_attributes {
                    next.custom_attributes = a.clone();
                }
                if let Some(v) = p.enforce_sso {
                    next.enforce_sso = v;
                }
                set(&mut next.enforce_sso_exclusions, &p.enforce_sso_exclusions);
                set(&mut next.federated_app_ids, &p.federated_app_ids);
                if let Some(v) = p.disabled {
                    next.disabled = v;
                }
                if let Some(r) = &p.role_inheritance {
                    next.role_inheritance = r.clone();
                }
                if let Some(r) = &p.default_roles {
                    next.default_roles = r.clone();
                }
                for (k, v) in &p.settings {
                    next.settings.insert(k.clone(), v.clone());
                }
                next
            }
        };
        next.check()?;
        Ok(next)
    }
}

/// The kind of value a tenant setting holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SettingKind {
    Bool,
    /// A whole number, zero or more.
    Count,
    /// `minutes`, `hours`, `days` or `weeks`.
    Unit,
    Text,
    TextList,
    Object,
}

/// The session settings `/v1/mgmt/tenant/settings` keeps besides the tenant's own fields
/// (`selfProvisioningDomains`, `enforceSSO`, `enforceSSOExclusions`, `federatedAppIds`),
/// as the Python and Node SDKs send them.
pub const SETTINGS: &[(&str, SettingKind)] = &[
    ("domains", SettingKind::TextList),
    ("authType", SettingKind::Text),
    ("enabled", SettingKind::Bool),
    ("refreshTokenExpiration", SettingKind::Count),
    ("refreshTokenExpirationUnit", SettingKind::Unit),
    ("sessionTokenExpiration", SettingKind::Count),
    ("sessionTokenExpirationUnit", SettingKind::Unit),
    ("stepupTokenExpiration", SettingKind::Count),
    ("stepupTokenExpirationUnit", SettingKind::Unit),
    ("enableInactivity", SettingKind::Bool),
    ("inactivityTime", SettingKind::Count),
    ("inactivityTimeUnit", SettingKind::Unit),
    ("JITDisabled", SettingKind::Bool),
    ("ssoSetupSuiteSettings", SettingKind::Object),
];

/// Check one setting's value against its kind.
pub fn check_setting(key: &str, kind: SettingKind, v: &Value) -> Result<(), FieldError> {
    let ok = match kind {
        SettingKind::Bool => v.is_boolean(),
        SettingKind::Count => v.as_u64().is_some(),
        SettingKind::Unit => matches!(v.as_str(), Some("minutes" | "hours" | "days" | "weeks")),
        SettingKind::Text => v
            .as_str()
            .is_some_and(|s| s.chars().count() <= caps::ITEM_CHARS),
        SettingKind::TextList => v.as_array().is_some_and(|a| {
            a.len() <= caps::TENANT_LIST_ITEMS
                && a.iter().all(|i| {
                    i.as_str()
                        .is_some_and(|s| s.chars().count() <= caps::ITEM_CHARS)
                })
        }),
        SettingKind::Object => {
            v.is_object()
                && serde_json::to_string(v).map_or(0, |s| s.len()) <= caps::TENANT_ATTRIBUTES_BYTES
        }
    };
    if ok {
        Ok(())
    } else {
        let expected = match kind {
            SettingKind::Bool => "a boolean".to_string(),
            SettingKind::Count => "a whole number, zero or more".to_string(),
            SettingKind::Unit => "one of \"minutes\", \"hours\", \"days\", \"weeks\"".to_string(),
            SettingKind::Text => format!("a text of at most {} characters", caps::ITEM_CHARS),
            SettingKind::TextList => format!(
                "a list of at most {} texts of at most {} characters",
                caps::TENANT_LIST_ITEMS,
                caps::ITEM_CHARS
            ),
            SettingKind::Object => format!(
                "an object of at most {} bytes as JSON",
                caps::TENANT_ATTRIBUTES_BYTES
            ),
        };
        Err(FieldError::new(key, format!("must be {expected}")))
    }
}

impl TenantSpec {
    /// The caps a tenant keeps: its lists, their items, and its custom attributes.
    pub fn check(&self) -> Result<(), FieldError> {
        caps::text_list(
            "selfProvisioningDomains",
            &self.self_provisioning_domains,
            caps::TENANT_LIST_ITEMS,
            caps::ITEM_CHARS,
        )?;
        caps::text_list(
            "enforceSSOExclusions",
            &self.enforce_sso_exclusions,
            caps::TENANT_LIST_ITEMS,
            caps::ITEM_CHARS,
        )?;
        caps::text_list(
            "federatedAppIds",
            &self.federated_app_ids,
            caps::SSO_APPS,
            caps::ITEM_CHARS,
        )?;
        caps::items(
            "defaultRoles",
            self.default_roles.len(),
            caps::TENANT_LIST_ITEMS,
        )?;
        let bytes = serde_json::to_string(&self.custom_attributes).map_or(0, |s| s.len());
        if bytes > caps::TENANT_ATTRIBUTES_BYTES {
            return Err(FieldError::new(
                "customAttributes",
                format!(
                    "must take at most {} bytes as JSON, not {bytes}",
                    caps::TENANT_ATTRIBUTES_BYTES
                ),
            ));
        }
        Ok(())
    }
}

/// The filter of `POST /v1/mgmt/tenant/search`. Empty lists mean "no filter"; custom
/// attributes match when the tenant's value equals the given one (or one of the given
/// values, when a list is given).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TenantQuery {
    pub ids: Vec<String>,
    pub names: Vec<String>,
    pub self_provisioning_domains: Vec<String>,
    pub custom_attributes: Map<String, Value>,
    pub parent_tenant_id: String,
}

impl TenantQuery {
    pub fn matches(&self, t: &Tenant) -> bool {
        let ids_ok = self.ids.is_empty() || self.ids.iter().any(|i| i == t.id.as_str());
        let names_ok =
            self.names.is_empty() || self.names.iter().any(|n| n == t.spec.name.as_str());
        let domains_ok = self.self_provisioning_domains.is_empty()
            || t.spec
                .self_provisioning_domains
                .iter()
                .any(|d| self.self_provisioning_domains.contains(d));
        let attrs_ok = self.custom_attributes.iter().all(|(k, want)| {
            t.spec
                .custom_attributes
                .get(k)
                .is_some_and(|have| value_matches(have, want))
        });
        let parent_ok = self.parent_tenant_id.is_empty()
            || t.spec
                .parent
                .as_ref()
                .is_some_and(|p| p.as_str() == self.parent_tenant_id);
        ids_ok && names_ok && domains_ok && attrs_ok && parent_ok
    }
}

/// Whether a stored value answers a search value: equal to it, or, for a list of wanted
/// values, equal to one of them.
pub fn value_matches(have: &Value, want: &Value) -> bool {
    match want {
        Value::Array(options) if !have.is_array() => options.iter().any(|o| o == have),
        _ => have == want,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tenant(id: &str, name: &str, attrs: Value) -> Tenant {
        Tenant {
            id: TenantId::from_stored(id.into()),
            spec: TenantSpec {
                name: Label::from_stored(name.into()),
                self_provisioning_domains: vec!["acme.com".into()],
                custom_attributes: attrs.as_object().cloned().unwrap_or_default(),
                enforce_sso: false,
                enforce_sso_exclusions: vec![],
                federated_app_ids: vec![],
                disabled: false,
                parent: None,
                role_inheritance: String::new(),
                default_roles: vec![],
                settings: Map::new(),
            },
            created: Millis(0),
            successors: vec![],
        }
    }

    #[test]
    fn search_filters_combine() {
        let t = tenant("t1", "Acme", json!({"tier": "gold", "seats": 5}));
        assert!(TenantQuery::default().matches(&t));
        let by_name = TenantQuery {
            names: vec!["Acme".into()],
            ..Default::default()
        };
        assert!(by_name.matches(&t));
        let wrong = TenantQuery {
            names: vec!["doesnotexists".into()],
            ..Default::default()
        };
        assert!(!wrong.matches(&t));
        let attrs = TenantQuery {
            custom_attributes: json!({"tier": ["silver", "gold"]})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            self_provisioning_domains: vec!["acme.com".into()],
            ..Default::default()
        };
        assert!(attrs.matches(&t));
    }

    #[test]
    fn value_matching() {
        assert!(value_matches(&json!("a"), &json!("a")));
        assert!(value_matches(&json!("a"), &json!(["b", "a"])));
        assert!(value_matches(&json!(["a"]), &json!(["a"])));
        assert!(!value_matches(&json!(1), &json!("1")));
    }
}
