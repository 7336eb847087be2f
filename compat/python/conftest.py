"""Fixtures: a real `roster serve` on a temporary SQLite file, and fresh projects.

The server is the binary named by ROSTER_BIN (default: target/debug/roster of this
repository). It starts with ROSTER_PROJECT_ID and ROSTER_MANAGEMENT_KEY set, as a team
pointing its SDK at Roster would start it. Each test gets a project of its own, made
with `roster project create` and `roster key create` against the same database while
the server runs, so tests never see each other's users.
"""

import os
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from descope import DescopeClient

REPO = Path(__file__).resolve().parents[2]
BIN = os.environ.get("ROSTER_BIN", str(REPO / "target" / "debug" / "roster"))
BOOT_PROJECT = "P2RosterCompatPython00000001"
BOOT_KEY = "compat-python-bootstrap-key"


@dataclass
class Server:
    url: str
    database_url: str
    project: str
    key: str

    def client(self, project=None, key=None):
        return DescopeClient(
            project_id=project or self.project,
            management_key=key or self.key,
            base_url=self.url,
        )

    def roster(self, *args):
        out = subprocess.run(
            [BIN, *args, "--database-url", self.database_url],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server():
    tmp = tempfile.TemporaryDirectory()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database_url = f"sqlite://{tmp.name}/roster.db"
    env = dict(os.environ, ROSTER_PROJECT_ID=BOOT_PROJECT, ROSTER_MANAGEMENT_KEY=BOOT_KEY)
    proc = subprocess.Popen(
        [BIN, "serve", "--listen", f"127.0.0.1:{port}", "--database-url", database_url],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 30
    while True:
        try:
            if httpx.get(f"{url}/health/ready", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            out, err = proc.communicate(timeout=5)
            raise RuntimeError(f"roster serve did not start:\n{out}\n{err}")
        time.sleep(0.05)
    yield Server(url=url, database_url=database_url, project=BOOT_PROJECT, key=BOOT_KEY)
    proc.terminate()
    proc.wait(timeout=10)
    tmp.cleanup()


@dataclass
class Project:
    id: str
    key: str
    client: DescopeClient


@pytest.fixture
def project(server):
    """A fresh project and a client for it."""
    pid = server.roster("project", "create", "--name", "python compat")
    key = server.roster("key", "create", "--project", pid)
    return Project(id=pid, key=key, client=server.client(pid, key))


@pytest.fixture
def mgmt(project):
    return project.client.mgmt


@pytest.fixture
def catalog(mgmt):
    """Roles, tenants and attributes that user tests refer to."""
    mgmt.permission.create("users.read", "read users")
    mgmt.permission.create("users.write")
    mgmt.role.create("admin", "administrators", ["users.write", "users.read"])
    mgmt.role.create("viewer", permission_names=["users.read"])
    mgmt.tenant.create("Tenant One", id="t1")
    mgmt.tenant.create("Tenant Two", id="t2")
    mgmt.role.create("editor", permission_names=["users.write"], tenant_id="t1")
    mgmt.user.create_custom_attribute("age", "Age", "number")
    mgmt.user.create_custom_attribute("nick", "Nickname", "string")
    mgmt.user.create_custom_attribute("vip", "VIP", "boolean")
    return mgmt
