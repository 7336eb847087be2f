"""The official Python SDK's `mgmt.audit` against a real `roster serve`: the changes it
makes through the SDK are in the trail (newest first, with what changed), every search
filter it sends works, and `create_event` records an application's own event."""

import json
from datetime import datetime, timedelta, timezone

import pytest
from descope import AuthException


def actions(result):
    return [a["action"] for a in result["audits"]]


def test_changes_made_through_the_sdk_are_in_the_trail(catalog):
    mgmt = catalog
    ann = mgmt.user.create(
        "ann@example.com",
        display_name="Ann",
        user_tenants=[],
    )["user"]
    mgmt.user.add_tenant("ann@example.com", "t1")
    mgmt.user.update_display_name("ann@example.com", "Ann B")
    mgmt.user.set_active_password("ann@example.com", "n3w-Secret!")
    mgmt.user.delete("ann@example.com")

    trail = mgmt.audit.search(user_ids=[ann["userId"]])
    assert actions(trail) == [
        "UserDeleted",
        "UserModified",
        "UserModified",
        "UserModified",
        "UserCreated",
    ]
    deleted, password, renamed, joined, created = trail["audits"]
    # The SDK turns `externalIds` into `loginIds` and `occurred` into a datetime.
    assert deleted["loginIds"] == ["ann@example.com"]
    assert isinstance(created["occurred"], datetime)
    assert created["occurred"] <= deleted["occurred"]
    assert created["projectId"] and created["remoteAddress"] == "127.0.0.1"
    assert renamed["data"]["changes"] == {"name": {"old": "Ann", "new": "Ann B"}}
    assert joined["tenants"] == ["t1"]
    assert password["data"]["changes"] == {"password": {"changed": True}}
    assert "n3w-Secret" not in json.dumps(trail, default=str)

    # The fixture's key (made by `roster key create`) and catalog are there too.
    others = mgmt.audit.search(excluded_actions=["UserCreated", "UserModified", "UserDeleted"])
    assert sorted(set(actions(others))) == [
        "CustomAttributeCreated",
        "ManagementKeyCreated",
        "PermissionCreated",
        "RoleCreated",
        "TenantCreated",
    ]
    key = next(a for a in others["audits"] if a["action"] == "ManagementKeyCreated")
    assert key["data"]["name"] == "cli" and key["remoteAddress"] == ""


def test_every_filter_the_sdk_sends(catalog):
    mgmt = catalog
    mgmt.user.create("bo@example.com", user_tenants=[])
    mgmt.user.create("cy@example.com")
    mgmt.user.add_tenant("cy@example.com", "t2")

    assert actions(mgmt.audit.search(login_ids=["bo@example.com"])) == ["UserCreated"]
    t2 = mgmt.audit.search(tenants=["t2"])
    assert actions(t2) == ["UserModified", "TenantCreated"]
    # `no_tenants`: the records naming no tenant at all come too.
    with_untenanted = mgmt.audit.search(tenants=["t2"], no_tenants=True)
    assert len(with_untenanted["audits"]) > len(t2["audits"])
    assert all(a["tenants"] in (["t2"], []) for a in with_untenanted["audits"])
    assert actions(mgmt.audit.search(text="CY@EXAMPLE")) == ["UserModified", "UserCreated"]
    assert mgmt.audit.search(remote_addresses=["192.0.2.1"])["audits"] == []
    assert mgmt.audit.search(devices=["Bot"])["audits"] == []

    now = datetime.now(timezone.utc)
    recent = mgmt.audit.search(from_ts=now - timedelta(minutes=5), login_ids=["bo@example.com"])
    assert actions(recent) == ["UserCreated"]
    assert mgmt.audit.search(to_ts=now - timedelta(days=1))["audits"] == []
    assert mgmt.audit.search(from_ts=now + timedelta(minutes=5))["audits"] == []


def test_an_application_records_its_own_events(mgmt):
    mgmt.audit.create_event(
        action="ReportExported",
        type="warn",
        actor_id="reporting-service",
        tenant_id="t1",
        user_id="U-someone",
        data={"rows": 12, "format": "csv"},
    )
    found = mgmt.audit.search(actions=["ReportExported"])["audits"]
    assert len(found) == 1
    assert found[0]["userId"] == "U-someone"
    assert found[0]["tenants"] == ["t1"]
    assert found[0]["data"] == {"rows": 12, "format": "csv"}

    with pytest.raises(AuthException) as e:
        mgmt.audit.create_event(action="Exported", type="debug", actor_id="a", tenant_id="t1")
    assert e.value.status_code == 400
    # An event cannot pass for one of Roster's own records.
    with pytest.raises(AuthException) as e:
        mgmt.audit.create_event(action="UserDeleted", type="info", actor_id="a", tenant_id="t1")
    assert e.value.status_code == 400
    assert len(mgmt.audit.search(actions=["Exported", "UserDeleted"])["audits"]) == 0


def test_a_read_only_key_searches_the_trail_and_records_nothing(server, project):
    project.client.mgmt.user.create("dee@example.com")
    key = server.roster("key", "create", "--project", project.id, "--read-only")
    reader = server.client(project.id, key).mgmt
    assert "UserCreated" in actions(reader.audit.search())
    with pytest.raises(AuthException) as e:
        reader.audit.create_event(action="Mine", type="info", actor_id="a", tenant_id="t1")
    assert e.value.status_code == 403
