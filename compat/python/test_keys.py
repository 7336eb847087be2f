"""The official Python SDK with management keys made by `roster key create`: a read-only
key reads everything and changes nothing; a revoked key and a key limited to other
addresses are refused like a wrong key."""

import json

import pytest
from descope import AuthException


def code_of(exc_info):
    return json.loads(exc_info.value.error_message)["errorCode"]


def test_a_read_only_key_reads_and_changes_nothing(server, project):
    project.client.mgmt.user.create("ann@example.com", email="ann@example.com")
    key = server.roster("key", "create", "--project", project.id, "--read-only")
    reader = server.client(project.id, key).mgmt
    assert reader.user.load("ann@example.com")["user"]["email"] == "ann@example.com"
    assert reader.user.search_all()["total"] == 1
    assert reader.tenant.load_all()["tenants"] == []
    with pytest.raises(AuthException) as e:
        reader.user.update_email("ann@example.com", "ann@elsewhere.io")
    assert e.value.status_code == 403 and code_of(e) == "E990403"
    with pytest.raises(AuthException) as e:
        reader.user.create("bob@example.com")
    assert e.value.status_code == 403
    assert project.client.mgmt.user.load("ann@example.com")["user"]["email"] == "ann@example.com"
    assert project.client.mgmt.user.search_all()["total"] == 1


def test_revoked_and_elsewhere_keys_are_refused(server, project):
    elsewhere = server.roster(
        "key", "create", "--project", project.id, "--permitted-ip", "192.0.2.0/24"
    )
    with pytest.raises(AuthException) as e:
        server.client(project.id, elsewhere).mgmt.user.search_all()
    assert e.value.status_code == 401 and code_of(e) == "E990401"

    key = server.roster("key", "create", "--project", project.id, "--name", "to-revoke")
    client = server.client(project.id, key).mgmt
    assert client.user.search_all()["total"] == 0
    listing = server.roster("key", "list", "--project", project.id)
    key_id = next(l.split("\t")[0] for l in listing.splitlines() if "\tto-revoke\t" in l)
    server.roster("key", "revoke", "--project", project.id, "--id", key_id)
    with pytest.raises(AuthException) as e:
        client.user.search_all()
    assert e.value.status_code == 401


def test_management_keys_through_the_sdk(server, project):
    from descope.management.common import (
        MgmtKeyProjectRole,
        MgmtKeyReBac,
        MgmtKeyStatus,
    )

    mgmt = project.client.mgmt
    made = mgmt.management_key.create(
        "ci",
        MgmtKeyReBac(company_roles=["Company Full Access"]),
        description="for CI",
        expires_in=3600,
        permitted_ips=["127.0.0.1", "10.0.0.0/8"],
    )
    key = made["key"]
    assert key["name"] == "ci" and key["description"] == "for CI"
    assert key["status"] == "active" and key["readOnly"] is False
    assert key["permittedIps"] == ["127.0.0.1/32", "10.0.0.0/8"]
    assert key["reBac"] == {"companyRoles": ["Company Full Access"]}
    assert 3590 <= key["expireTime"] - key["createdTime"] <= 3600
    ci = server.client(project.id, made["cleartext"]).mgmt
    ci.user.create("made-by-ci@example.com")
    assert made["cleartext"] not in json.dumps(mgmt.management_key.search())

    reader_made = mgmt.management_key.create(
        "reader",
        MgmtKeyReBac(project_roles=[MgmtKeyProjectRole([project.id], ["Project Read Only"])]),
    )
    assert reader_made["key"]["readOnly"] is True
    reader = server.client(project.id, reader_made["cleartext"]).mgmt
    assert reader.user.search_all()["total"] == 1
    assert reader.management_key.load(key["id"])["key"]["name"] == "ci"
    with pytest.raises(AuthException) as e:
        reader.management_key.create("escalate", MgmtKeyReBac(company_roles=["Company Full Access"]))
    assert e.value.status_code == 403 and code_of(e) == "E990403"

    updated = mgmt.management_key.update(key["id"], "ci-2", "renamed", [], MgmtKeyStatus.INACTIVE)
    assert updated["key"]["name"] == "ci-2" and updated["key"]["status"] == "inactive"
    with pytest.raises(AuthException) as e:
        ci.user.search_all()
    assert e.value.status_code == 401, "an inactive key is refused"
    mgmt.management_key.update(key["id"], "ci-2", "renamed", [], MgmtKeyStatus.ACTIVE)
    assert ci.user.search_all()["total"] == 1, "active again"

    names = sorted(k["name"] for k in mgmt.management_key.search()["keys"])
    assert "ci-2" in names and "reader" in names
    assert mgmt.management_key.delete([key["id"], "K-none"])["total"] == 1
    with pytest.raises(AuthException) as e:
        ci.user.search_all()
    assert e.value.status_code == 401, "a deleted key is gone"
    with pytest.raises(AuthException) as e:
        mgmt.management_key.load(key["id"])
    assert e.value.status_code == 404 and code_of(e) == "E996404"
    with pytest.raises(AuthException) as e:
        mgmt.management_key.create("bad", MgmtKeyReBac(company_roles=[]), permitted_ips=["nowhere"])
    assert e.value.status_code == 400
