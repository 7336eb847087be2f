"""The official Python SDK against a real `roster serve`: users."""

import json
import time

import pytest
from descope import AssociatedTenant, AuthException, DescopeClient
from descope.management.user import UserObj

USER_FIELDS = {
    "loginIds", "userId", "name", "givenName", "middleName", "familyName", "email",
    "phone", "verifiedEmail", "verifiedPhone", "roleNames", "userTenants", "status",
    "externalIds", "picture", "test", "customAttributes", "createdTime", "TOTP", "SAML",
    "OAuth", "webauthn", "password", "ssoAppIds", "editable", "SCIM", "push",
    "permissions", "OIDC", "consentExpiration",
}


def error_of(exc_info):
    """The Descope error body an AuthException carries."""
    return json.loads(exc_info.value.error_message)


def test_license_handshake_sets_the_tier(project):
    assert project.client.mgmt._http.rate_limit_tier == "tier4"


def test_create_load_and_every_field(catalog):
    created = catalog.user.create(
        "ann@example.com",
        email="ann@example.com",
        phone="+1-555-555-5555",
        display_name="Ann Smith",
        given_name="Ann",
        family_name="Smith",
        role_names=["admin"],
        user_tenants=[AssociatedTenant("t1", ["editor", "viewer"])],
        custom_attributes={"age": 41, "vip": True},
        verified_email=True,
        additional_login_ids=["ann"],
        sso_app_ids=["app1"],
    )["user"]
    assert USER_FIELDS <= created.keys()
    assert created["loginIds"] == ["ann@example.com", "ann"]
    assert created["name"] == "Ann Smith"
    assert created["phone"] == "+15555555555"
    assert created["status"] == "invited"
    assert created["verifiedEmail"] is True and created["verifiedPhone"] is False
    assert created["permissions"] == ["users.read", "users.write"]
    tenant = created["userTenants"][0]
    assert tenant["tenantId"] == "t1" and tenant["tenantName"] == "Tenant One"
    assert tenant["roleNames"] == ["editor", "viewer"]
    assert tenant["permissions"] == ["users.read", "users.write"]
    assert created["customAttributes"] == {"age": 41, "vip": True}
    assert created["ssoAppIds"] == ["app1"]
    assert abs(created["createdTime"] - time.time()) < 120, "createdTime is in seconds"

    assert catalog.user.load("ann@example.com")["user"] == created
    assert catalog.user.load("ann")["user"] == created
    assert catalog.user.load_by_user_id(created["userId"])["user"] == created
    loaded = catalog.user.load_users([created["userId"], "U-unknown"])
    assert [u["userId"] for u in loaded["users"]] == [created["userId"]]


def test_missing_user_is_404_e112102(mgmt):
    with pytest.raises(AuthException) as e:
        mgmt.user.load("nobody@example.com")
    assert e.value.status_code == 404
    body = error_of(e)
    assert body["errorCode"] == "E112102"
    assert {"errorCode", "errorDescription", "errorMessage", "message"} <= body.keys()


def test_creation_checks_what_a_patch_checks(catalog):
    cases = [
        ({"email": "not-an-email"}, "email"),
        ({"phone": "555-1234"}, "phone"),
        ({"role_names": ["ghost"]}, "roleNames"),
        ({"user_tenants": [AssociatedTenant("t9")]}, "userTenants[0].tenantId"),
        ({"user_tenants": [AssociatedTenant("t2", ["editor"])]}, "userTenants[0].roleNames"),
        ({"custom_attributes": {"age": "old"}}, "customAttributes.age"),
        ({"custom_attributes": {"shoe": 42}}, "customAttributes.shoe"),
    ]
    for i, (kwargs, field) in enumerate(cases):
        with pytest.raises(AuthException) as e:
            catalog.user.create(f"bad{i}@example.com", **kwargs)
        assert e.value.status_code == 400, kwargs
        body = error_of(e)
        assert body["errorCode"] == "E011003"
        assert body["errorMessage"].startswith(field), body
    with pytest.raises(AuthException):
        catalog.user.load("bad0@example.com")


def test_login_ids_are_unique(mgmt):
    mgmt.user.create("dup@example.com")
    with pytest.raises(AuthException) as e:
        mgmt.user.create("dup@example.com")
    assert e.value.status_code == 409
    with pytest.raises(AuthException) as e:
        mgmt.user.create("other@example.com", additional_login_ids=["dup@example.com"])
    assert e.value.status_code == 409


def test_test_users_and_invites(mgmt):
    test_user = mgmt.user.create_test_user("tester@example.com", email="tester@example.com")["user"]
    assert test_user["test"] is True and test_user["status"] == "invited"
    invited = mgmt.user.invite("invitee@example.com", email="invitee@example.com", send_mail=False)["user"]
    assert invited["status"] == "invited", "an invitation does not change the status"
    enabled = mgmt.user.create("enabled@example.com", status="enabled")["user"]
    assert enabled["status"] == "enabled"
    mgmt.user.delete("enabled@example.com")
    assert [u["loginIds"][0] for u in mgmt.user.search_all()["users"]] == ["invitee@example.com"]
    only_tests = mgmt.user.search_all_test_users()
    assert [u["loginIds"][0] for u in only_tests["users"]] == ["tester@example.com"]
    assert len(mgmt.user.search_all(with_test_user=True)["users"]) == 2
    mgmt.user.delete_all_test_users()
    assert mgmt.user.search_all_test_users()["users"] == []
    assert mgmt.user.load("invitee@example.com")["user"]["test"] is False


def test_invite_batch(catalog):
    out = catalog.user.invite_batch(
        [
            UserObj("b1@example.com", email="b1@example.com", role_names=["viewer"]),
            UserObj("b2@example.com", user_tenants=[AssociatedTenant("t1", ["editor"])]),
            UserObj("b1@example.com"),
            UserObj("b3@example.com", role_names=["ghost"]),
        ],
        invite_url="https://example.com/invite",
        send_mail=False,
    )
    assert [u["loginIds"] for u in out["createdUsers"]] == [["b1@example.com"], ["b2@example.com"]]
    assert all(u["status"] == "invited" for u in out["createdUsers"])
    failures = {f["user"]["loginIds"][0]: f["failure"] for f in out["failedUsers"]}
    assert failures.keys() == {"b1@example.com", "b3@example.com"}
    assert "already taken" in failures["b1@example.com"]
    assert failures["b3@example.com"].startswith("roleNames")


def test_search_filters(catalog):
    u = catalog.user
    before = int(time.time() * 1000) - 1000
    u.create("alice@example.com", email="alice@example.com", display_name="Alice Liddell",
             role_names=["admin"], custom_attributes={"nick": "al"}, status="enabled")
    u.create("bob@example.com", phone="+44 20 7946 0018", user_tenants=[AssociatedTenant("t1", ["editor"])],
             status="disabled")
    u.create("carol@example.com", user_tenants=[AssociatedTenant("t2")], custom_attributes={"age": 30})

    def logins(**kw):
        return sorted(x["loginIds"][0] for x in u.search_all(**kw)["users"])

    assert logins() == ["alice@example.com", "bob@example.com", "carol@example.com"]
    assert logins(tenant_ids=["t1", "t2"]) == ["bob@example.com", "carol@example.com"]
    assert logins(role_names=["admin"]) == ["alice@example.com"]
    assert logins(statuses=["enabled", "disabled"]) == ["alice@example.com", "bob@example.com"]
    assert logins(emails=["alice@example.com"]) == ["alice@example.com"]
    assert logins(phones=["+442079460018"]) == ["bob@example.com"]
    assert logins(custom_attributes={"age": 30}) == ["carol@example.com"]
    assert logins(custom_attributes={"nick": "al"}) == ["alice@example.com"]
    assert logins(text="liddell") == ["alice@example.com"]
    assert logins(login_ids=["carol@example.com"]) == ["carol@example.com"]
    carol = u.load("carol@example.com")["user"]
    assert logins(user_ids=[carol["userId"]]) == ["carol@example.com"]
    assert logins(from_created_time=before) == ["alice@example.com", "bob@example.com", "carol@example.com"]
    assert logins(to_created_time=before) == []
    page = u.search_all(limit=2, page=1)
    assert len(page["users"]) == 1 and page["total"] == 3
    assert u.search_all(limit=2)["total"] == 3


def test_delete(mgmt):
    a = mgmt.user.create("a@example.com")["user"]
    b = mgmt.user.create("b@example.com")["user"]
    c = mgmt.user.create("c@example.com")["user"]
    mgmt.user.delete("a@example.com")
    mgmt.user.delete_by_user_id(b["userId"])
    with pytest.raises(AuthException) as e:
        mgmt.user.delete("a@example.com")
    assert e.value.status_code == 404
    mgmt.user.delete_batch([c["userId"], a["userId"]])
    assert mgmt.user.search_all()["users"] == []


def test_wrong_key_and_other_projects(server, project):
    project.client.mgmt.user.create("mine@example.com")
    wrong = server.client(project.id, "RK" + "0" * 64)
    with pytest.raises(AuthException) as e:
        wrong.mgmt.user.load("mine@example.com")
    assert e.value.status_code == 401
    assert error_of(e)["errorCode"] == "E990401"
    # A valid key of another project opens only that project.
    other_id = server.roster("project", "create", "--name", "other")
    other_key = server.roster("key", "create", "--project", other_id)
    other = server.client(other_id, other_key).mgmt
    with pytest.raises(AuthException) as e:
        other.user.load("mine@example.com")
    assert e.value.status_code == 404
    assert other.user.search_all()["users"] == []
    # ... and a key used with another project's ID opens nothing.
    crossed = server.client(other_id, project.key)
    with pytest.raises(AuthException) as e:
        crossed.mgmt.user.search_all()
    assert e.value.status_code == 401
    other.user.create("mine@example.com")
    assert project.client.mgmt.user.load("mine@example.com")["user"]["userId"] != \
        other.user.load("mine@example.com")["user"]["userId"]


def test_custom_attribute_definitions(mgmt):
    mgmt.user.create_custom_attribute("plan", "Plan", "singleselect", options=["gold", "silver"])
    listed = mgmt.user.create_custom_attribute("score", "Score", "number")
    names = {a["name"]: a for a in listed["data"]}
    assert names["plan"]["type"] == 4 and [o["value"] for o in names["plan"]["options"]] == ["gold", "silver"]
    assert names["score"]["type"] == 2
    assert listed["total"] == 2
    mgmt.user.create("u@example.com", custom_attributes={"plan": "gold", "score": 3})
    with pytest.raises(AuthException) as e:
        mgmt.user.create("v@example.com", custom_attributes={"plan": "bronze"})
    assert e.value.status_code == 400
    left = mgmt.user.delete_custom_attribute("plan")
    assert [a["name"] for a in left["data"]] == ["score"]
    assert mgmt.user.load("u@example.com")["user"]["customAttributes"] == {"score": 3}
    assert [a["name"] for a in mgmt.user.load_custom_attributes()["data"]] == ["score"]
