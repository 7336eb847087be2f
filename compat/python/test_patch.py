"""The official Python SDK against a real `roster serve`: patch and patch_batch."""

import json

import pytest
from descope import AssociatedTenant, AuthException
from descope.management.user import UserObj


def test_patch_changes_only_the_given_fields(catalog):
    u = catalog.user
    made = u.create("p@example.com", email="p@example.com", display_name="Pat", given_name="Pat",
                    role_names=["viewer"], custom_attributes={"age": 1, "nick": "p"})["user"]
    patched = u.patch("p@example.com", family_name="Smith", custom_attributes={"age": 2})["user"]
    assert patched["familyName"] == "Smith"
    assert patched["name"] == "Pat" and patched["givenName"] == "Pat" and patched["email"] == "p@example.com"
    assert patched["roleNames"] == ["viewer"]
    assert patched["customAttributes"] == {"age": 2, "nick": "p"}, "custom attributes merge per key"
    assert patched["version"] == made["version"] + 1
    assert u.load("p@example.com")["user"] == patched

    renamed = u.patch("p@example.com", display_name="Patricia")["user"]
    assert renamed["name"] == "Patricia", "the SDK sends displayName"
    cleared = u.patch("p@example.com", email="", role_names=[], user_tenants=[AssociatedTenant("t1", ["editor"])],
                      phone="+44 (20) 7946-0018", verified_phone=True, status="enabled")["user"]
    assert cleared["email"] == "" and cleared["roleNames"] == []
    assert cleared["phone"] == "+442079460018" and cleared["verifiedPhone"] is True
    assert cleared["status"] == "enabled"
    assert cleared["userTenants"] == [
        {"tenantId": "t1", "roleNames": ["editor"], "tenantName": "Tenant One", "permissions": ["users.write"]}
    ]
    by_id = u.patch(made["userId"], picture="https://example.com/p.png")["user"]
    assert by_id["picture"] == "https://example.com/p.png", "loginId may hold a user ID"


def test_patch_errors(catalog):
    catalog.user.create("e@example.com")
    with pytest.raises(AuthException) as e:
        catalog.user.patch("nobody@example.com", display_name="x")
    assert e.value.status_code == 404
    assert json.loads(e.value.error_message)["errorCode"] == "E112102"
    for kwargs, field in [
        ({"email": "nope"}, "email"),
        ({"role_names": ["ghost"]}, "roleNames"),
        ({"custom_attributes": {"vip": "yes"}}, "customAttributes.vip"),
        ({"user_tenants": [AssociatedTenant("t9")]}, "userTenants[0].tenantId"),
    ]:
        with pytest.raises(AuthException) as e:
            catalog.user.patch("e@example.com", display_name="never", **kwargs)
        assert e.value.status_code == 400
        assert json.loads(e.value.error_message)["errorMessage"].startswith(field)
    assert catalog.user.load("e@example.com")["user"]["name"] == "", "a failed patch changes nothing"


def test_patch_batch_mixed_success_and_failure(catalog):
    u = catalog.user
    u.create("a@example.com", display_name="A")
    u.create("b@example.com", display_name="B")
    test_user = u.create_test_user("t@example.com")["user"]
    out = u.patch_batch([
        UserObj("a@example.com", given_name="First", role_names=["admin"]),
        UserObj("ghost@example.com", display_name="nobody"),
        UserObj("b@example.com", role_names=["ghost"], display_name="never"),
        UserObj("a@example.com", family_name="Second", custom_attributes={"age": 7}),
        UserObj("b@example.com", email="bad-email"),
    ])
    patched = out["patchedUsers"]
    assert [p["loginIds"][0] for p in patched] == ["a@example.com", "a@example.com"]
    assert patched[0]["givenName"] == "First" and patched[0]["familyName"] == ""
    assert patched[1]["givenName"] == "First" and patched[1]["familyName"] == "Second", "in order"
    assert patched[1]["permissions"] == ["users.read", "users.write"]
    failed = out["failedUsers"]
    assert [f["user"]["loginIds"][0] for f in failed] == ["ghost@example.com", "b@example.com", "b@example.com"]
    assert failed[0]["user"] == {"loginIds": ["ghost@example.com"]}
    assert failed[1]["failure"] == 'roleNames: role "ghost" does not exist'
    assert failed[1]["user"]["name"] == "B", "the stored user"
    assert failed[2]["failure"].startswith("email:")
    assert out["additionalErrors"] == {}
    assert u.load("b@example.com")["user"]["name"] == "B"

    # The Python SDK sends test: true for test users; Roster patches them either way.
    out = u.patch_batch([UserObj("t@example.com", display_name="Tess")], test=True)
    assert out["patchedUsers"][0]["name"] == "Tess"
    assert out["patchedUsers"][0]["userId"] == test_user["userId"]


def test_patch_batch_all_failing_is_still_200(mgmt):
    out = mgmt.user.patch_batch([UserObj("x@example.com"), UserObj("y@example.com")])
    assert out["patchedUsers"] == []
    assert len(out["failedUsers"]) == 2
