//! The body of `POST /v2/mgmt/user/search` and `/search/test`, read into a
//! [`UserQuery`].

use std::collections::HashMap;

use roster_domain::error::FieldError;
use roster_domain::phone::Phone;
use roster_domain::role::Role;
use roster_domain::search::{SortField, TenantRoleFilter, TestUsers, UserQuery};
use roster_domain::status::UserStatus;
use roster_domain::time::Millis;
use roster_domain::{Error, Setting};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::common::{FlexInt, flag, given, list};

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct RolesListBody {
    pub values: Setting<Vec<String>>,
    pub and: Setting<bool>,
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct SortBody {
    pub field: Setting<String>,
    pub desc: Setting<bool>,
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct SearchBody {
    pub login_id: Setting<String>,
    pub identifier: Setting<String>,
    pub login_ids: Setting<Vec<String>>,
    pub user_ids: Setting<Vec<String>>,
    pub emails: Setting<Vec<String>>,
    pub phones: Setting<Vec<String>>,
    pub statuses: Setting<Vec<String>>,
    pub tenant_ids: Setting<Vec<String>>,
    pub role_names: Setting<Vec<String>>,
    pub roles: Setting<Vec<String>>,
    pub tenant_role_names: Setting<HashMap<String, RolesListBody>>,
    pub tenant_role_ids: Setting<HashMap<String, RolesListBody>>,
    #[schema(value_type = Option<Object>)]
    pub custom_attributes: Setting<Map<String, Value>>,
    pub sso_app_ids: Setting<Vec<String>>,
    pub text: Setting<String>,
    pub with_test_user: Setting<bool>,
    pub test_users_only: Setting<bool>,
    pub verified_email: Setting<bool>,
    pub verified_phone: Setting<bool>,
    pub from_created_time: Setting<FlexInt>,
    pub to_created_time: Setting<FlexInt>,
    pub from_modified_time: Setting<FlexInt>,
    pub to_modified_time: Setting<FlexInt>,
    pub sort: Setting<Vec<SortBody>>,
    pub limit: Setting<FlexInt>,
    pub page: Setting<FlexInt>,
    pub offset: Setting<FlexInt>,
}

fn non_negative(field: &str, v: &Setting<FlexInt>) -> Result<u64, Error> {
    let n = v.set().map_or(0, |f| f.0);
    u64::try_from(n).map_err(|_| Error::invalid(format!("{field}: must not be negative")))
}

/// Zero means "no bound", as the Go SDK sends every field.
fn time_bound(v: &Setting<FlexInt>) -> Option<Millis> {
    v.set().filter(|t| t.0 != 0).map(|t| Millis(t.0))
}

impl SearchBody {
    /// The query. `roles` resolves `tenantRoleIds` to role names; `test_only` is set by
    /// `/search/test`.
    pub fn into_query(self, roles: &[Role], test_only: bool) -> Result<UserQuery, Error> {
        let mut q = UserQuery::new();
        q.login_ids = list(&self.login_ids);
        if let Some(one) = given(&self.login_id).or_else(|| given(&self.identifier)) {
            q.login_ids.push(one.to_string());
        }
        q.user_ids = list(&self.user_ids);
        q.emails = list(&self.emails);
        q.phones = list(&self.phones)
            .into_iter()
            .map(|p| {
                Phone::parse(&p)
                    .map(|n| n.as_str().to_string())
                    .unwrap_or(p)
            })
            .collect();
        q.statuses = list(&self.statuses)
            .iter()
            .enumerate()
            .map(|(i, s)| {
                UserStatus::parse(s)
                    .map_err(|r| Error::from(FieldError::new(format!("statuses[{i}]"), r)))
            })
            .collect::<Result<_, _>>()?;
        q.tenant_ids = list(&self.tenant_ids);
        q.role_names = list(&self.role_names);
        q.role_names.extend(list(&self.roles));
        for (tenant_id, body) in self.tenant_role_names.into_set().unwrap_or_default() {
            q.tenant_roles.push(TenantRoleFilter {
                tenant_id,
                role_names: list(&body.values),
                all: flag(&body.and),
            });
        }
        for (tenant_id, body) in self.tenant_role_ids.into_set().unwrap_or_default() {
            let ids: std::collections::HashSet<String> = list(&body.values).into_iter().collect();
            let names = roles
                .iter()
                .filter(|r| ids.contains(r.id.as_str()))
                .map(|r| r.name.as_str().to_string())
                .collect();
            q.tenant_roles.push(TenantRoleFilter {
                tenant_id,
                role_names: names,
                all: flag(&body.and),
            });
        }
        q.custom_attributes = self
            .custom_attributes
            .into_set()
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, v)| !v.is_null())
            .collect();
        q.sso_app_ids = list(&self.sso_app_ids);
        q.text = given(&self.text).unwrap_or_default().to_string();
        q.test_users = if test_only || flag(&self.test_users_only) {
            TestUsers::Only
        } else if flag(&self.with_test_user) {
            TestUsers::Include
        } else {
            TestUsers::Exclude
        };
        q.verified_email = self.verified_email.set().copied();
        q.verified_phone = self.verified_phone.set().copied();
        q.from_created = time_bound(&self.from_created_time);
        q.to_created = time_bound(&self.to_created_time);
        q.from_modified = time_bound(&self.from_modified_time);
        q.to_modified = time_bound(&self.to_modified_time);
        for (i, s) in self.sort.into_set().unwrap_or_default().iter().enumerate() {
            let Some(name) = given(&s.field) else {
                continue;
            };
            let field = SortField::parse(name).ok_or_else(|| {
                Error::invalid(format!(
                    "sort[{i}].field: cannot sort by {name:?} (use createdTime, modifiedTime, name, \
                     givenName, familyName, email, phone, status, loginId or userId)"
                ))
            })?;
            q.sort.push((field, flag(&s.desc)));
        }
        let limit = non_negative("limit", &self.limit)?;
        let page = non_negative("page", &self.page)?;
        let offset = non_negative("offset", &self.offset)?;
        q.paginate(
            u32::try_from(limit).unwrap_or(u32::MAX),
            u32::try_from(page).unwrap_or(u32::MAX),
            offset,
        );
        q.check()?;
        Ok(q)
    }
}
