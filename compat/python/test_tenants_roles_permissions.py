"""The official Python SDK against a real `roster serve`: tenants, roles, permissions."""

import json

import pytest
from descope import AssociatedTenant, AuthException


def test_tenants(mgmt):
    generated = mgmt.tenant.create("Acme", self_provisioning_domains=["acme.com"],
                                   custom_attributes={"tier": "gold"})["id"]
    assert generated.startswith("T") and len(generated) == 28
    assert mgmt.tenant.create("Globex", id="globex") == {"id": "globex"}
    loaded = mgmt.tenant.load(generated)
    assert loaded["id"] == generated and loaded["name"] == "Acme", "the tenant is at the root"
    assert loaded["selfProvisioningDomains"] == ["acme.com"]
    assert loaded["customAttributes"] == {"tier": "gold"}
    assert isinstance(loaded["createdTime"], int)
    with pytest.raises(AuthException) as e:
        mgmt.tenant.create("Acme")
    assert e.value.status_code == 409
    with pytest.raises(AuthException) as e:
        mgmt.tenant.create("Other", id="globex")
    assert e.value.status_code == 409
    with pytest.raises(AuthException) as e:
        mgmt.tenant.load("nope")
    assert e.value.status_code == 404

    assert sorted(t["name"] for t in mgmt.tenant.load_all()["tenants"]) == ["Acme", "Globex"]
    assert [t["id"] for t in mgmt.tenant.search_all(names=["Globex"])["tenants"]] == ["globex"]
    assert mgmt.tenant.search_all(names=["doesnotexists"])["tenants"] == []
    assert [t["name"] for t in mgmt.tenant.search_all(self_provisioning_domains=["acme.com"])["tenants"]] == ["Acme"]
    assert [t["name"] for t in mgmt.tenant.search_all(custom_attributes={"tier": "gold"})["tenants"]] == ["Acme"]

    mgmt.tenant.update("globex", "Globex Corp", enforce_sso=True)
    updated = mgmt.tenant.load("globex")
    assert updated["name"] == "Globex Corp" and updated["enforceSSO"] is True

    mgmt.user.create("member@example.com", user_tenants=[AssociatedTenant("globex")])
    mgmt.tenant.delete("globex")
    assert mgmt.user.load("member@example.com")["user"]["userTenants"] == []
    mgmt.user.patch("member@example.com", user_tenants=[AssociatedTenant(generated)])
    mgmt.tenant.delete(generated, cascade=True)
    with pytest.raises(AuthException):
        mgmt.user.load("member@example.com")
    assert mgmt.tenant.load_all()["tenants"] == []


def test_roles(mgmt):
    mgmt.permission.create("p.read")
    mgmt.permission.create("p.write")
    mgmt.tenant.create("T", id="t")
    mgmt.role.create("reader", "can read", ["p.read"])
    mgmt.role.create("writer", permission_names=["p.write"], tenant_id="t")
    mgmt.role.create("reader", "tenant reader", ["p.read", "p.write"], tenant_id="t")
    with pytest.raises(AuthException) as e:
        mgmt.role.create("reader")
    assert e.value.status_code == 409
    with pytest.raises(AuthException) as e:
        mgmt.role.create("x", permission_names=["missing"])
    assert e.value.status_code == 400

    roles = mgmt.role.load_all()["roles"]
    assert sorted((r["name"], r["tenantId"]) for r in roles) == [("reader", ""), ("reader", "t"), ("writer", "t")]
    assert all(r["id"].startswith("ROL") for r in roles)

    found = mgmt.role.search(tenant_ids=["t"])["roles"]
    assert sorted(r["name"] for r in found) == ["reader", "writer"]
    found = mgmt.role.search(tenant_ids=["t"], include_project_roles=True)["roles"]
    assert len(found) == 3
    found = mgmt.role.search(role_name_like="WRI")["roles"]
    assert [r["name"] for r in found] == ["writer"]

    user = mgmt.user.create("u@example.com", role_names=["reader"],
                            user_tenants=[AssociatedTenant("t", ["reader"])])["user"]
    assert user["permissions"] == ["p.read"]
    assert user["userTenants"][0]["permissions"] == ["p.read", "p.write"], "the tenant's own role wins"

    mgmt.role.update("reader", "viewer", "renamed", ["p.read", "p.write"])
    user = mgmt.user.load("u@example.com")["user"]
    assert user["roleNames"] == ["viewer"] and user["permissions"] == ["p.read", "p.write"]
    mgmt.role.delete("viewer")
    assert mgmt.user.load("u@example.com")["user"]["roleNames"] == []
    with pytest.raises(AuthException) as e:
        mgmt.role.delete("viewer")
    assert e.value.status_code == 404
    mgmt.role.delete("reader", tenant_id="t")
    assert mgmt.user.load("u@example.com")["user"]["userTenants"][0]["roleNames"] == []

    mgmt.role.create_batch([{"name": "b1"}, {"name": "b2", "permissionNames": ["p.read"]}])
    assert {"b1", "b2"} <= {r["name"] for r in mgmt.role.load_all()["roles"]}
    mgmt.role.delete_batch(["b1", "b2"])
    assert {r["name"] for r in mgmt.role.load_all()["roles"]} == {"writer"}


def test_permissions(mgmt):
    mgmt.permission.create("a", "first")
    mgmt.permission.create_batch([{"name": "b"}, {"name": "c", "description": "third"}])
    with pytest.raises(AuthException) as e:
        mgmt.permission.create("a")
    assert e.value.status_code == 409
    mgmt.role.create("r", permission_names=["a", "b"])
    mgmt.permission.update("a", "a2", "renamed")
    perms = mgmt.permission.load_all()["permissions"]
    assert [(p["name"], p["description"], p["systemDefault"]) for p in perms] == \
        [("a2", "renamed", False), ("b", "", False), ("c", "third", False)]
    assert mgmt.role.load_all()["roles"][0]["permissionNames"] == ["a2", "b"]
    mgmt.permission.delete("b")
    assert mgmt.role.load_all()["roles"][0]["permissionNames"] == ["a2"]
    mgmt.permission.delete_batch(["a2", "c"])
    assert mgmt.permission.load_all()["permissions"] == []
    with pytest.raises(AuthException) as e:
        mgmt.permission.delete("a2")
    assert e.value.status_code == 404
    assert json.loads(e.value.error_message)["errorCode"] == "E993404"
