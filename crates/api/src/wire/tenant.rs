//! Tenants on the wire.

use roster_domain::error::FieldError;
use roster_domain::ids::TenantId;
use roster_domain::names::{Label, RoleName};
use roster_domain::tenant::{
    SETTINGS, SettingKind, Tenant, TenantPatch, TenantQuery, TenantSpec, check_setting,
};
use roster_domain::{Error, Setting};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::__dev::ComposeSchema;
use utoipa::ToSchema;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};

use super::common::{flag, given, list};

/// The body of `tenant/create` and `tenant/update`.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct TenantBody {
    pub id: Setting<String>,
    pub name: Setting<String>,
    pub self_provisioning_domains: Setting<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub custom_attributes: Setting<Map<String, Value>>,
    #[serde(rename = "enforceSSO")]
    pub enforce_sso: Setting<bool>,
    #[serde(rename = "enforceSSOExclusions")]
    pub enforce_sso_exclusions: Setting<Vec<String>>,
    pub federated_app_ids: Setting<Vec<String>>,
    pub disabled: Setting<bool>,
    pub parent: Setting<String>,
    pub parent_id: Setting<String>,
    pub role_inheritance: Setting<String>,
    pub default_roles: Setting<Vec<String>>,
}

impl TenantBody {
    /// The tenant ID the request names, if any.
    pub fn id(&self) -> Result<Option<TenantId>, Error> {
        given(&self.id)
            .map(|id| TenantId::parse(id).map_err(|r| FieldError::new("id", r).into()))
            .transpose()
    }

    pub fn spec(&self) -> Result<TenantSpec, Error> {
        let name = given(&self.name).ok_or_else(|| Error::missing("name"))?;
        let parent = given(&self.parent).or_else(|| given(&self.parent_id));
        let role_inheritance = given(&self.role_inheritance).unwrap_or_default();
        check_role_inheritance(role_inheritance)?;
        let spec = TenantSpec {
            name: Label::parse(name).map_err(|r| FieldError::new("name", r))?,
            self_provisioning_domains: list(&self.self_provisioning_domains),
            custom_attributes: self.custom_attributes.set().cloned().unwrap_or_default(),
            enforce_sso: flag(&self.enforce_sso),
            enforce_sso_exclusions: list(&self.enforce_sso_exclusions),
            federated_app_ids: list(&self.federated_app_ids),
            disabled: flag(&self.disabled),
            parent: parent
                .map(|p| TenantId::parse(p).map_err(|r| FieldError::new("parent", r)))
                .transpose()?,
            role_inheritance: role_inheritance.to_string(),
            default_roles: role_list("defaultRoles", &list(&self.default_roles))?,
            settings: Map::new(),
        };
        spec.check()?;
        Ok(spec)
    }

    /// `tenant/patch`: only the fields given (and not `null`) change.
    pub fn patch(&self) -> Result<TenantPatch, Error> {
        let role_inheritance = self.role_inheritance.set().cloned();
        if let Some(r) = &role_inheritance {
            check_role_inheritance(r)?;
        }
        Ok(TenantPatch {
            name: given(&self.name)
                .map(|n| Label::parse(n).map_err(|r| FieldError::new("name", r)))
                .transpose()?,
            self_provisioning_domains: self.self_provisioning_domains.set().cloned(),
            custom_attributes: self.custom_attributes.set().cloned(),
            enforce_sso: self.enforce_sso.set().copied(),
            enforce_sso_exclusions: self.enforce_sso_exclusions.set().cloned(),
            federated_app_ids: self.federated_app_ids.set().cloned(),
            disabled: self.disabled.set().copied(),
            role_inheritance,
            default_roles: self
                .default_roles
                .set()
                .map(|l| role_list("defaultRoles", l))
                .transpose()?,
            settings: Map::new(),
        })
    }
}

fn check_role_inheritance(r: &str) -> Result<(), Error> {
    if matches!(r, "" | "none" | "userOnly") {
        Ok(())
    } else {
        Err(FieldError::new(
            "roleInheritance",
            format!("{r:?} is not one of \"none\", \"userOnly\""),
        )
        .into())
    }
}

fn role_list(field: &str, names: &[String]) -> Result<Vec<RoleName>, Error> {
    names
        .iter()
        .enumerate()
        .map(|(i, r)| {
            RoleName::parse(r).map_err(|e| FieldError::new(format!("{field}[{i}]"), e).into())
        })
        .collect()
}

/// `tenant/updateDefaultRoles`: `{id, defaultRoles}`.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct DefaultRolesBody {
    pub id: Setting<String>,
    pub default_roles: Setting<Vec<String>>,
}

impl DefaultRolesBody {
    pub fn patch(&self) -> Result<TenantPatch, Error> {
        let roles = self.default_roles.set().cloned().unwrap_or_default();
        Ok(TenantPatch {
            default_roles: Some(role_list("defaultRoles", &roles)?),
            ..TenantPatch::default()
        })
    }
}

/// The tenant fields `POST /v1/mgmt/tenant/settings` also sets, by wire name.
const SETTINGS_TENANT_FIELDS: [&str; 4] = [
    "selfProvisioningDomains",
    "enforceSSO",
    "enforceSSOExclusions",
    "federatedAppIds",
];

fn text_list(field: &str, v: &Value) -> Result<Vec<String>, Error> {
    serde_json::from_value(v.clone())
        .map_err(|_| FieldError::new(field, "must be a list of texts").into())
}

fn boolean(field: &str, v: &Value) -> Result<bool, Error> {
    v.as_bool()
        .ok_or_else(|| FieldError::new(field, "must be a boolean").into())
}

/// The schema of one setting's value, from its kind; in an answer, a unit never set is
/// `""` (see [`settings_answer`]).
fn setting_schema(kind: SettingKind, answer: bool) -> Schema {
    let of = |t: Type| ObjectBuilder::new().schema_type(t);
    match kind {
        SettingKind::Bool => of(Type::Boolean).into(),
        SettingKind::Count => of(Type::Integer).minimum(Some(0)).into(),
        SettingKind::Unit => {
            let units = ["minutes", "hours", "days", "weeks"];
            let unset = answer.then_some("");
            of(Type::String)
                .enum_values(Some(units.into_iter().chain(unset)))
                .into()
        }
        SettingKind::Text => of(Type::String).into(),
        SettingKind::TextList => ArrayBuilder::new().items(of(Type::String)).into(),
        SettingKind::Object => of(Type::Object).into(),
    }
}

/// The settings object: every entry of [`SETTINGS`] and the tenant fields the settings
/// share; in a body each may be left out (or `null`), and `tenantId` names the tenant.
fn settings_schema(body: bool) -> RefOr<Schema> {
    let mut object = ObjectBuilder::new();
    if body {
        object = object
            .property("tenantId", ObjectBuilder::new().schema_type(Type::String))
            .required("tenantId")
            .property(
                "id",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("Alias of `tenantId`.")),
            );
    }
    let [domains, sso, exclusions, apps] = SETTINGS_TENANT_FIELDS;
    let shared = [
        (domains, SettingKind::TextList),
        (sso, SettingKind::Bool),
        (exclusions, SettingKind::TextList),
        (apps, SettingKind::TextList),
    ];
    for &(key, kind) in SETTINGS.iter().chain(shared.iter()) {
        if body {
            let nullable = OneOfBuilder::new()
                .item(setting_schema(kind, false))
                .item(ObjectBuilder::new().schema_type(Type::Null));
            object = object.property(key, nullable);
        } else {
            object = object
                .property(key, setting_schema(kind, true))
                .required(key);
        }
    }
    object.into()
}

/// `GET /v1/mgmt/tenant/settings`'s answer (built by [`settings_answer`]).
#[derive(Debug)]
pub struct SettingsAnswer;

/// `POST /v1/mgmt/tenant/settings`'s body (read by [`settings_patch`]).
#[derive(Debug)]
pub struct SettingsBody;

impl ComposeSchema for SettingsAnswer {
    fn compose(_: Vec<RefOr<Schema>>) -> RefOr<Schema> {
        settings_schema(false)
    }
}

impl ToSchema for SettingsAnswer {}

impl ComposeSchema for SettingsBody {
    fn compose(_: Vec<RefOr<Schema>>) -> RefOr<Schema> {
        settings_schema(true)
    }
}

impl ToSchema for SettingsBody {}

/// `POST /v1/mgmt/tenant/settings`: `{tenantId, …settings}`. Keys given (and not
/// `null`) change; the others stay. Unknown keys are ignored, like every unknown field.
pub fn settings_patch(body: &Map<String, Value>) -> Result<TenantPatch, Error> {
    let given = |k: &str| body.get(k).filter(|v| !v.is_null());
    let mut patch = TenantPatch {
        self_provisioning_domains: given("selfProvisioningDomains")
            .map(|v| text_list("selfProvisioningDomains", v))
            .transpose()?,
        enforce_sso: given("enforceSSO")
            .map(|v| boolean("enforceSSO", v))
            .transpose()?,
        enforce_sso_exclusions: given("enforceSSOExclusions")
            .map(|v| text_list("enforceSSOExclusions", v))
            .transpose()?,
        federated_app_ids: given("federatedAppIds")
            .map(|v| text_list("federatedAppIds", v))
            .transpose()?,
        ..TenantPatch::default()
    };
    for &(key, kind) in SETTINGS {
        if let Some(v) = given(key) {
            check_setting(key, kind, v)?;
            patch.settings.insert(key.to_string(), v.clone());
        }
    }
    Ok(patch)
}

/// `GET /v1/mgmt/tenant/settings?id=…`: every setting (its zero value when never set)
/// and the tenant fields the settings share.
pub fn settings_answer(t: &Tenant) -> Map<String, Value> {
    let mut out = Map::new();
    for &(key, kind) in SETTINGS {
        let v = t.spec.settings.get(key).cloned().unwrap_or(match kind {
            SettingKind::Bool => Value::Bool(false),
            SettingKind::Count => Value::from(0),
            SettingKind::Unit | SettingKind::Text => Value::from(""),
            SettingKind::TextList => Value::Array(Vec::new()),
            SettingKind::Object => Value::Object(Map::new()),
        });
        out.insert(key.to_string(), v);
    }
    let [domains, sso, exclusions, apps] = SETTINGS_TENANT_FIELDS;
    out.insert(
        domains.into(),
        Value::from(t.spec.self_provisioning_domains.clone()),
    );
    out.insert(sso.into(), Value::Bool(t.spec.enforce_sso));
    out.insert(
        exclusions.into(),
        Value::from(t.spec.enforce_sso_exclusions.clone()),
    );
    out.insert(apps.into(), Value::from(t.spec.federated_app_ids.clone()));
    out
}

/// `tenant/delete`: `{id, cascade}`.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct DeleteTenantBody {
    pub id: Setting<String>,
    pub cascade: Setting<bool>,
}

/// `tenant/search`.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct TenantSearchBody {
    pub tenant_ids: Setting<Vec<String>>,
    pub tenant_names: Setting<Vec<String>>,
    pub tenant_self_provisioning_domains: Setting<Vec<String>>,
    #[schema(value_type = Option<Object>)]
    pub custom_attributes: Setting<Map<String, Value>>,
    pub parent_tenant_id: Setting<String>,
}

impl TenantSearchBody {
    pub fn query(&self) -> TenantQuery {
        TenantQuery {
            ids: list(&self.tenant_ids),
            names: list(&self.tenant_names),
            self_provisioning_domains: list(&self.tenant_self_provisioning_domains),
            custom_attributes: self.custom_attributes.set().cloned().unwrap_or_default(),
            parent_tenant_id: given(&self.parent_tenant_id)
                .unwrap_or_default()
                .to_string(),
        }
    }
}

/// The tenant object (shown flat at the root by `GET /v1/mgmt/tenant`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TenantDto {
    pub id: String,
    pub name: String,
    pub self_provisioning_domains: Vec<String>,
    #[schema(value_type = Object)]
    pub custom_attributes: Map<String, Value>,
    pub auth_type: String,
    pub domains: Vec<String>,
    pub created_time: i64,
    pub disabled: bool,
    #[serde(rename = "enforceSSO")]
    pub enforce_sso: bool,
    #[serde(rename = "enforceSSOExclusions")]
    pub enforce_sso_exclusions: Vec<String>,
    pub federated_app_ids: Vec<String>,
    pub parent: String,
    pub successors: Vec<String>,
    pub default_roles: Vec<String>,
    pub role_inheritance: String,
}

impl From<&Tenant> for TenantDto {
    fn from(t: &Tenant) -> Self {
        TenantDto {
            id: t.id.as_str().to_string(),
            name: t.spec.name.as_str().to_string(),
            self_provisioning_domains: t.spec.self_provisioning_domains.clone(),
            custom_attributes: t.spec.custom_attributes.clone(),
            auth_type: t
                .spec
                .settings
                .get("authType")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .unwrap_or("none")
                .to_string(),
            domains: t
                .spec
                .settings
                .get("domains")
                .and_then(|d| serde_json::from_value(d.clone()).ok())
                .unwrap_or_default(),
            created_time: t.created.as_secs(),
            disabled: t.spec.disabled,
            enforce_sso: t.spec.enforce_sso,
            enforce_sso_exclusions: t.spec.enforce_sso_exclusions.clone(),
            federated_app_ids: t.spec.federated_app_ids.clone(),
            parent: t
                .spec
                .parent
                .as_ref()
                .map(|p| p.as_str().to_string())
                .unwrap_or_default(),
            successors: t
                .successors
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
            default_roles: t
                .spec
                .default_roles
                .iter()
                .map(|r| r.as_str().to_string())
                .collect(),
            role_inheritance: t.spec.role_inheritance.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TenantsEnvelope {
    pub tenants: Vec<TenantDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedTenant {
    pub id: String,
}
