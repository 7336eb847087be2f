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
