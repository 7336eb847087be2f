//! [`apply_patch`]: one parsed patch applied to one user, all of it or nothing (the
//! rules are listed in the parent module). Pure: no store, no clock of its own.

use super::*;

fn set_text(target: &mut String, s: &Setting<String>) {
    match s {
        Setting::NotSet => {}
        Setting::Reset => target.clear(),
        Setting::Set(v) => v.clone_into(target),
    }
}

fn set_opt<T: Clone>(target: &mut Option<T>, s: &Setting<T>) {
    match s {
        Setting::NotSet => {}
        Setting::Reset => *target = None,
        Setting::Set(v) => *target = Some(v.clone()),
    }
}

/// The refusal of a patch computed from another version of the user.
fn version_changed(actual: i64, expected: i64) -> Error {
    Error::new(
        crate::ErrorCode::VersionChanged,
        format!(
            "expectedVersion: the user is at version {actual}, not {expected}: it changed since it was read; read it again"
        ),
    )
}

/// Apply one patch to one user. Pure: the result is the user as it would be, or the
/// first error, naming its field; `user` itself is never touched.
pub fn apply_patch(
    user: &User,
    patch: &UserPatch,
    catalog: &Catalog,
    owners: &dyn LoginOwners,
    now: Millis,
) -> Result<User, Error> {
    if let Some(expected) = patch.expected_version
        && expected != user.version
    {
        return Err(version_changed(user.version, expected));
    }
    let mut next = user.clone();
    set_text(&mut next.name, &patch.name);
    set_text(&mut next.given_name, &patch.given_name);
    set_text(&mut next.middle_name, &patch.middle_name);
    set_text(&mut next.family_name, &patch.family_name);
    set_text(&mut next.picture, &patch.picture);
    set_opt(&mut next.email, &patch.email);
    set_opt(&mut next.phone, &patch.phone);
    if let Some(v) = patch.verified_email {
        next.verified_email = v;
    }
    if let Some(v) = patch.verified_phone {
        next.verified_phone = v;
    }
    if let Some(s) = patch.status {
        next.status = s;
    }
    if let Some(v) = patch.scim {
        next.scim = v;
    }
    if let Some(roles) = &patch.role_names {
        if let Some(missing) = roles
            .iter()
            .find(|r| catalog.project_role(r.as_str()).is_none())
        {
            return Err(FieldError::new(
                "roleNames",
                format!("role {:?} does not exist", missing.as_str()),
            )
            .into());
        }
        next.role_names = roles.clone();
    }
    edits::edit_roles(&mut next, &patch.add_roles, &patch.remove_roles, catalog)?;
    if let Some(tenants) = &patch.user_tenants {
        let mut out = Vec::with_capacity(tenants.len());
        for (i, t) in tenants.iter().enumerate() {
            let id = t.tenant_id.as_str();
            if catalog.tenant(id).is_none() {
                return Err(FieldError::new(
                    format!("userTenants[{i}].tenantId"),
                    format!("tenant {id:?} does not exist"),
                )
                .into());
            }
            if let Some(missing) = t
                .role_names
                .iter()
                .find(|r| catalog.tenant_role(id, r.as_str()).is_none())
            {
                return Err(FieldError::new(
                    format!("userTenants[{i}].roleNames"),
                    format!(
                        "role {:?} does not exist in tenant {id:?} or at project level",
                        missing.as_str()
                    ),
                )
                .into());
            }
            out.push(UserTenant {
                tenant_id: t.tenant_id.clone(),
                role_names: t.role_names.clone(),
            });
        }
        next.tenants = out;
    }
    edits::edit_tenants(&mut next, &patch.tenant_edits, catalog)?;
    if let Some(ids) = &patch.sso_app_ids {
        next.sso_app_ids = ids.clone();
    }
    edits::edit_sso_apps(&mut next, &patch.add_sso_apps, &patch.remove_sso_apps);
    if let Some(extra) = &patch.additional_login_ids {
        // `extra` holds no repeats (parsing dropped them); only the first login ID, which
        // stays, may be listed again.
        let primary = next.login_ids.first().cloned();
        let mut login_ids: Vec<LoginId> = primary.iter().cloned().collect();
        login_ids.reserve(extra.len());
        for l in extra {
            if primary.as_ref() == Some(l) {
                continue;
            }
            if let Some(owner) = owners.owner(l.as_str())
                && *owner != user.id
            {
                return Err(Error::already_exists(format!(
                    "additionalIdentifiers: login ID {:?} belongs to another user",
                    l.as_str()
                )));
            }
            login_ids.push(l.clone());
        }
        next.login_ids = login_ids;
    }
    if let Some(change) = &patch.login_id_change {
        edits::change_login_id(&mut next, change, owners)?;
    }
    if patch.email_conflict_fails {
        edits::check_conflict(
            "email",
            next.email.as_ref().map(Email::as_str),
            user,
            owners,
        )?;
    }
    if patch.phone_conflict_fails {
        edits::check_conflict(
            "phone",
            next.phone.as_ref().map(Phone::as_str),
            user,
            owners,
        )?;
    }
    set_opt(&mut next.recovery_email, &patch.recovery_email);
    set_opt(&mut next.recovery_phone, &patch.recovery_phone);
    if let Some(v) = patch.verified_recovery_email {
        next.verified_recovery_email = v;
    }
    if let Some(v) = patch.verified_recovery_phone {
        next.verified_recovery_phone = v;
    }
    if let Some(change) = &patch.password {
        edits::change_password(&mut next, change);
    }
    if patch.replace_custom_attributes {
        next.custom_attributes.clear();
    }
    for (key, value) in &patch.custom_attributes {
        let field = format!("customAttributes.{key}");
        let def = catalog
            .attribute(key)
            .ok_or_else(|| FieldError::new(&field, "is not a custom attribute of this project"))?;
        match value {
            Setting::NotSet => {}
            Setting::Reset => {
                next.custom_attributes.remove(key);
            }
            Setting::Set(v) => {
                catalog
                    .check_attribute_value(def, v)
                    .map_err(|reason| FieldError::new(&field, reason))?;
                next.custom_attributes.insert(key.clone(), v.clone());
            }
        }
    }
    let size = next.stored_bytes();
    if size > caps::USER_BYTES && size > user.stored_bytes() {
        return Err(FieldError::new(
            "user",
            format!(
                "would hold {size} bytes, more than the {} a user may hold (names, picture, \
                 email, phone, login IDs, roles, tenants, SSO applications and custom \
                 attributes together)",
                caps::USER_BYTES
            ),
        )
        .into());
    }
    if !next.same_data(user) {
        next.version = user.version + 1;
        next.modified = now;
    }
    Ok(next)
}
