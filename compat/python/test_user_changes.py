"""The official Python SDK against a real `roster serve`: every one-purpose user change
of `mgmt.user` (status, login IDs, email, phone, names, picture, attributes, roles,
tenants, SSO apps, recovery, passwords, sign-in factors), the tenant changes of
`mgmt.tenant`, and the methods Roster deliberately does not serve."""

import json

import pytest
from descope import AssociatedTenant, AuthException, DeliveryMethod


def error_of(exc_info):
    return json.loads(exc_info.value.error_message)


def code_of(exc_info):
    return error_of(exc_info)["errorCode"]


@pytest.fixture
def ann(catalog):
    return catalog.user.create("ann@example.com", email="ann@example.com", display_name="Ann")[
        "user"
    ]


def test_activate_and_deactivate(catalog, ann):
    user = catalog.user.activate("ann@example.com")["user"]
    assert user["status"] == "enabled" and user["version"] == ann["version"] + 1
    assert catalog.user.deactivate(ann["userId"])["user"]["status"] == "disabled"
    assert catalog.user.load("ann@example.com")["user"]["status"] == "disabled"
    with pytest.raises(AuthException) as e:
        catalog.user.activate("nobody@example.com")
    assert e.value.status_code == 404 and code_of(e) == "E112102"


def test_update_login_id_renames_and_removes(catalog, ann):
    user = catalog.user.update_login_id("ann@example.com", "ann@new.io")["user"]
    assert user["loginIds"] == ["ann@new.io"] and user["userId"] == ann["userId"]
    assert catalog.user.load("ann@new.io")["user"]["userId"] == ann["userId"]
    with pytest.raises(AuthException) as e:
        catalog.user.load("ann@example.com")
    assert e.value.status_code == 404
    # The last login ID cannot go; with a second one it can.
    with pytest.raises(AuthException) as e:
        catalog.user.update_login_id("ann@new.io", None)
    assert e.value.status_code == 400 and "at least one login ID" in error_of(e)["message"]
    catalog.user.create("dee@example.com", additional_login_ids=["dee"])
    assert catalog.user.update_login_id("dee@example.com")["user"]["loginIds"] == ["dee"]
    # A login ID of another user is a conflict.
    with pytest.raises(AuthException) as e:
        catalog.user.update_login_id("ann@new.io", "dee")
    assert e.value.status_code == 409 and code_of(e) == "E990409"


def test_update_email_and_phone(catalog, ann):
    user = catalog.user.update_email("ann@example.com", "ann@work.io", verified=True)["user"]
    assert user["email"] == "ann@work.io" and user["verifiedEmail"] is True
    user = catalog.user.update_email("ann@example.com")["user"]
    assert user["email"] == "" and user["verifiedEmail"] is False
    user = catalog.user.update_phone("ann@example.com", "+1 (555) 010-0000", verified=True)["user"]
    assert user["phone"] == "+15550100000" and user["verifiedPhone"] is True
    with pytest.raises(AuthException) as e:
        catalog.user.update_phone("ann@example.com", "not a phone")
    assert e.value.status_code == 400 and code_of(e) == "E011003"
    with pytest.raises(AuthException) as e:
        catalog.user.update_email("ann@example.com", "nope")
    assert code_of(e) == "E011003"
    # failOnConflict: the address is another user's login ID.
    catalog.user.create("bob@example.com")
    with pytest.raises(AuthException) as e:
        catalog.user.update_email("ann@example.com", "bob@example.com", fail_on_conflict=True)
    assert e.value.status_code == 409
    user = catalog.user.update_email("ann@example.com", "bob@example.com")["user"]
    assert user["email"] == "bob@example.com"


def test_update_names_picture_and_attribute(catalog, ann):
    user = catalog.user.update_display_name(
        "ann@example.com", "Ann B", given_name="Ann", family_name="B"
    )["user"]
    assert (user["name"], user["givenName"], user["familyName"]) == ("Ann B", "Ann", "B")
    user = catalog.user.update_display_name("ann@example.com", middle_name="Q")["user"]
    assert (user["name"], user["middleName"]) == ("Ann B", "Q"), "absent names stay"
    user = catalog.user.update_picture("ann@example.com", "https://x.io/a.png")["user"]
    assert user["picture"] == "https://x.io/a.png"
    assert catalog.user.update_picture("ann@example.com")["user"]["picture"] == ""
    user = catalog.user.update_custom_attribute("ann@example.com", "age", 42)["user"]
    assert user["customAttributes"] == {"age": 42}
    user = catalog.user.update_custom_attribute("ann@example.com", "vip", True)["user"]
    assert user["customAttributes"] == {"age": 42, "vip": True}
    user = catalog.user.update_custom_attribute("ann@example.com", "age", None)["user"]
    assert user["customAttributes"] == {"vip": True}, "null removes"
    with pytest.raises(AuthException) as e:
        catalog.user.update_custom_attribute("ann@example.com", "age", "old")
    assert code_of(e) == "E011003" and "customAttributes.age" in error_of(e)["message"]
    with pytest.raises(AuthException) as e:
        catalog.user.update_custom_attribute("ann@example.com", "ghost", 1)
    assert code_of(e) == "E011003"


def test_project_roles(catalog, ann):
    user = catalog.user.set_roles("ann@example.com", ["viewer"])["user"]
    assert user["roleNames"] == ["viewer"] and user["permissions"] == ["users.read"]
    user = catalog.user.add_roles("ann@example.com", ["admin", "viewer"])["user"]
    assert user["roleNames"] == ["viewer", "admin"]
    user = catalog.user.remove_roles("ann@example.com", ["viewer"])["user"]
    assert user["roleNames"] == ["admin"]
    with pytest.raises(AuthException) as e:
        catalog.user.add_roles("ann@example.com", ["ghost"])
    assert e.value.status_code == 400 and "ghost" in error_of(e)["message"]
    assert catalog.user.load("ann@example.com")["user"]["roleNames"] == ["admin"]


def test_tenants_and_tenant_roles(catalog, ann):
    user = catalog.user.add_tenant("ann@example.com", "t2")["user"]
    assert [t["tenantId"] for t in user["userTenants"]] == ["t2"]
    user = catalog.user.add_tenant_roles("ann@example.com", "t1", ["editor"])["user"]
    t1 = [t for t in user["userTenants"] if t["tenantId"] == "t1"][0]
    assert t1["roleNames"] == ["editor"] and t1["tenantName"] == "Tenant One"
    user = catalog.user.set_tenant_roles("ann@example.com", "t1", ["viewer", "editor"])["user"]
    t1 = [t for t in user["userTenants"] if t["tenantId"] == "t1"][0]
    assert t1["roleNames"] == ["viewer", "editor"]
    user = catalog.user.remove_tenant_roles("ann@example.com", "t1", ["viewer"])["user"]
    t1 = [t for t in user["userTenants"] if t["tenantId"] == "t1"][0]
    assert t1["roleNames"] == ["editor"]
    user = catalog.user.remove_tenant("ann@example.com", "t2")["user"]
    assert [t["tenantId"] for t in user["userTenants"]] == ["t1"]
    with pytest.raises(AuthException) as e:
        catalog.user.add_tenant("ann@example.com", "nope")
    assert e.value.status_code == 400 and "nope" in error_of(e)["message"]
    with pytest.raises(AuthException) as e:
        catalog.user.add_tenant_roles("ann@example.com", "t2", ["editor"])
    assert code_of(e) == "E011003", "editor is t1's role"
    with pytest.raises(AuthException) as e:
        catalog.user.remove_tenant_roles("ann@example.com", "t2", ["viewer"])
    assert "not a member" in error_of(e)["message"]


def test_sso_apps(catalog, ann):
    assert catalog.user.set_sso_apps("ann@example.com", ["a", "b"])["user"]["ssoAppIds"] == ["a", "b"]
    assert catalog.user.add_sso_apps("ann@example.com", ["c", "a"])["user"]["ssoAppIds"] == [
        "a", "b", "c",
    ]
    assert catalog.user.remove_sso_apps("ann@example.com", ["a"])["user"]["ssoAppIds"] == ["b", "c"]


def test_recovery_email_and_phone(catalog, ann):
    user = catalog.user.update_recovery_email("ann@example.com", "r@x.io", verified=True)["user"]
    assert user["recoveryEmail"] == "r@x.io" and user["verifiedRecoveryEmail"] is True
    user = catalog.user.update_recovery_phone("ann@example.com", "+15550100")["user"]
    assert user["recoveryPhone"] == "+15550100" and user["verifiedRecoveryPhone"] is False
    with pytest.raises(AuthException) as e:
        catalog.user.update_recovery_email("ann@example.com", "not-an-email")
    assert code_of(e) == "E011003"


def test_passwords(catalog, ann):
    assert ann["password"] is False
    assert catalog.user.set_temporary_password("ann@example.com", "Temp-pass-1") in (None, {})
    user = catalog.user.load("ann@example.com")["user"]
    assert user["password"] is True and user["version"] == ann["version"] + 1
    assert "Temp-pass-1" not in json.dumps(user)
    catalog.user.set_active_password("ann@example.com", "Active-pass-2")
    catalog.user.set_password("ann@example.com", "Old-api-3")
    catalog.user.expire_password("ann@example.com")
    assert catalog.user.load("ann@example.com")["user"]["password"] is True
    with pytest.raises(AuthException) as e:
        catalog.user.set_active_password("ann@example.com", "")
    assert e.value.status_code == 400
    with pytest.raises(AuthException) as e:
        catalog.user.expire_password("nobody@example.com")
    assert code_of(e) == "E112102"


def test_sign_in_factors_roster_does_not_hold(catalog, ann):
    catalog.user.remove_all_passkeys("ann@example.com")
    catalog.user.delete_passkey("ann@example.com", "cred-1")
    catalog.user.remove_totp_seed("ann@example.com")
    catalog.user.remove_recovery_codes("ann@example.com")
    catalog.user.logout_user("ann@example.com")
    catalog.user.logout_user_by_user_id(ann["userId"])
    assert catalog.user.list_passkeys("ann@example.com")["passkeys"] == []
    assert catalog.user.list_trusted_devices(["ann@example.com"])["devices"] == []
    catalog.user.remove_trusted_device("ann@example.com", ["d1"])
    assert catalog.user.history([ann["userId"]]) == []
    for call in (
        lambda: catalog.user.remove_all_passkeys("nobody"),
        lambda: catalog.user.delete_passkey("nobody", "c"),
        lambda: catalog.user.remove_totp_seed("nobody"),
        lambda: catalog.user.remove_recovery_codes("nobody"),
        lambda: catalog.user.logout_user("nobody"),
        lambda: catalog.user.logout_user_by_user_id("U-nobody"),
        lambda: catalog.user.list_passkeys("nobody"),
        lambda: catalog.user.list_trusted_devices(["nobody"]),
        lambda: catalog.user.remove_trusted_device("nobody", ["d1"]),
    ):
        with pytest.raises(AuthException) as e:
            call()
        assert e.value.status_code == 404 and code_of(e) == "E112102"


def test_update_is_a_full_replace(catalog):
    catalog.user.create(
        "cy@example.com",
        email="cy@example.com",
        phone="+15550100",
        display_name="Cy",
        role_names=["admin"],
        user_tenants=[AssociatedTenant("t1", ["editor"])],
        custom_attributes={"age": 3, "nick": "c"},
        additional_login_ids=["cy"],
        sso_app_ids=["a"],
    )
    catalog.user.activate("cy@example.com")
    catalog.user.set_temporary_password("cy@example.com", "Pass-word-9")
    user = catalog.user.update(
        "cy@example.com",
        email="cy@new.io",
        given_name="Cyrus",
        custom_attributes={"nick": "cyrus"},
        user_tenants=[AssociatedTenant("t2")],
    )["user"]
    assert user["email"] == "cy@new.io" and user["phone"] == "" and user["name"] == ""
    assert user["givenName"] == "Cyrus" and user["roleNames"] == []
    assert [t["tenantId"] for t in user["userTenants"]] == ["t2"]
    assert user["customAttributes"] == {"nick": "cyrus"}
    assert user["loginIds"] == ["cy@example.com"] and user["ssoAppIds"] == []
    assert user["status"] == "enabled" and user["password"] is True, "status and password stay"
    with pytest.raises(AuthException) as e:
        catalog.user.update("cy@example.com", role_names=["ghost"])
    assert code_of(e) == "E011003"
    assert catalog.user.load("cy@example.com")["user"]["email"] == "cy@new.io"
    with pytest.raises(AuthException) as e:
        catalog.user.update("nobody@example.com", email="n@x.io")
    assert code_of(e) == "E112102"


def test_what_roster_does_not_do_says_so(catalog, ann):
    calls = [
        lambda: catalog.user.generate_otp_for_test_user(DeliveryMethod.EMAIL, "ann@example.com"),
        lambda: catalog.user.generate_magic_link_for_test_user(
            DeliveryMethod.EMAIL, "ann@example.com", "https://x.io"
        ),
        lambda: catalog.user.generate_enchanted_link_for_test_user("ann@example.com", "https://x.io"),
        lambda: catalog.user.generate_embedded_link("ann@example.com"),
        lambda: catalog.user.generate_sign_up_embedded_link("ann@example.com"),
        lambda: catalog.user.get_provider_token("ann@example.com", "google"),
        lambda: catalog.user.import_users("auth0", users=b"[]"),
        lambda: catalog.user.add_families("ann@example.com", []),
        lambda: catalog.user.remove_families("ann@example.com", ["f1"]),
        lambda: catalog.user.load_family_scoped_custom_attributes(),
        lambda: catalog.user.create_family_scoped_custom_attributes([]),
        lambda: catalog.user.delete_family_scoped_custom_attributes(["x"]),
        lambda: catalog.tenant.generate_sso_configuration_link("t1", 60),
        lambda: catalog.tenant.revoke_sso_configuration_link("t1"),
    ]
    for call in calls:
        with pytest.raises(AuthException) as e:
            call()
        assert e.value.status_code == 501 and code_of(e) == "E990501"
        assert "not supported by Roster" in error_of(e)["message"]
    # Nothing was changed on the way.
    assert catalog.user.load("ann@example.com")["user"]["version"] == ann["version"]


def test_tenant_patch_default_roles_and_settings(catalog):
    catalog.tenant.patch_tenant("t1", disabled=True, custom_attributes={"tier": "gold"})
    t = catalog.tenant.load("t1")
    assert t["name"] == "Tenant One" and t["disabled"] is True
    assert t["customAttributes"] == {"tier": "gold"}
    catalog.tenant.patch_tenant("t1", name="Tenant Uno")
    t = catalog.tenant.load("t1")
    assert (t["name"], t["disabled"]) == ("Tenant Uno", True), "absent keys stay"
    with pytest.raises(AuthException) as e:
        catalog.tenant.patch_tenant("t1", name="Tenant Two")
    assert e.value.status_code == 409
    with pytest.raises(AuthException) as e:
        catalog.tenant.patch_tenant("nope", name="x")
    assert e.value.status_code == 404

    catalog.tenant.update_default_roles("t1", ["viewer"])
    assert catalog.tenant.load("t1")["defaultRoles"] == ["viewer"]

    catalog.tenant.update_settings(
        "t1",
        self_provisioning_domains=["acme.io"],
        domains=["sso.acme.io"],
        session_settings_enabled=True,
        session_token_expiration=30,
        session_token_expiration_unit="minutes",
        JITDisabled=True,
    )
    s = catalog.tenant.load_settings("t1")
    assert s["selfProvisioningDomains"] == ["acme.io"] and s["domains"] == ["sso.acme.io"]
    assert s["enabled"] is True and s["sessionTokenExpiration"] == 30
    assert s["sessionTokenExpirationUnit"] == "minutes" and s["JITDisabled"] is True
    assert s["refreshTokenExpiration"] == 0, "settings never set answer their zero value"
    catalog.tenant.update_settings("t1", self_provisioning_domains=["acme.io"], inactivity_time=5)
    s = catalog.tenant.load_settings("t1")
    assert s["sessionTokenExpiration"] == 30 and s["inactivityTime"] == 5, "a setting given changes; the rest stay"
    t = catalog.tenant.load("t1")
    assert t["selfProvisioningDomains"] == ["acme.io"] and t["name"] == "Tenant Uno"
    with pytest.raises(AuthException) as e:
        catalog.tenant.update_settings("t1", [], session_token_expiration_unit="fortnights")
    assert code_of(e) == "E011003"
    with pytest.raises(AuthException) as e:
        catalog.tenant.load_settings("nope")
    assert e.value.status_code == 404
