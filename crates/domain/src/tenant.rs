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
