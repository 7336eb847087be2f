"""Fixtures: a real Roster, and fresh projects.

ROSTER_COMPAT_BACKEND chooses the store:
- `sqlite` (the default): one `roster serve` on a temporary SQLite file;
- `postgres`: two `roster serve` nodes on one PostgreSQL database (a fresh schema of
  the server ROSTER_TEST_POSTGRES_URL names, dropped afterwards), behind a round-robin
  HTTP balancer, so that consecutive requests of a test go to different nodes.

The binary is ROSTER_BIN (default: target/debug/roster of this repository). It starts
with ROSTER_PROJECT_ID and ROSTER_MANAGEMENT_KEY set, as a team pointing its SDK at
Roster would start it. Each test gets a project of its own, made with `roster project
create` and `roster key create` against the same database while the server runs, so
tests never see each other's users.
"""

import contextlib
import http.client
import http.server
import itertools
import os
import secrets
import socket
import ssl
import subprocess
import tempfile
import threading
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


BACKEND = os.environ.get("ROSTER_COMPAT_BACKEND", "sqlite")


def start_node(database_url, extra_env=None, ca_file=None):
    """Start `roster serve` on a free port; return the process and its URL. With
    `ca_file` the server speaks HTTPS (`extra_env` gives its certificate) and is
    checked against that CA."""
    port = free_port()
    scheme = "https" if ca_file else "http"
    url = f"{scheme}://127.0.0.1:{port}"
    verify = ssl.create_default_context(cafile=ca_file) if ca_file else True
    env = dict(os.environ, ROSTER_PROJECT_ID=BOOT_PROJECT, ROSTER_MANAGEMENT_KEY=BOOT_KEY)
    env.update(extra_env or {})
    # The server's output goes to a file: a pipe nobody reads would fill up and stop
    # the server at its next log line.
    log = tempfile.TemporaryFile(mode="w+")
    proc = subprocess.Popen(
        [BIN, "serve", "--listen", f"127.0.0.1:{port}", "--database-url", database_url],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.time() + 30
    while True:
        try:
            if httpx.get(f"{url}/health/ready", timeout=1, verify=verify).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            proc.wait(timeout=5)
            log.seek(0)
            raise RuntimeError(f"roster serve did not start:\n{log.read()}")
        time.sleep(0.05)


def stop_node(proc):
    proc.terminate()
    proc.wait(timeout=10)


class Balancer:
    """A round-robin HTTP balancer: each request goes to the next node in turn."""

    def __init__(self, node_urls):
        nodes = itertools.cycle([u.removeprefix("http://") for u in node_urls])
        lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def forward(self):
                with lock:
                    node = next(nodes)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                conn = http.client.HTTPConnection(node, timeout=60)
                conn.request(self.command, self.path, body=body, headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                conn.close()

            def __getattr__(self, name):
                # Every method, whatever its name (`do_GET`, `do_TRACE`, `do_QUERY`...).
                if name.startswith("do_"):
                    return self.forward
                raise AttributeError(name)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def postgres_schema_url():
    """A fresh schema (created by Roster when it starts) of ROSTER_TEST_POSTGRES_URL."""
    base = os.environ.get("ROSTER_TEST_POSTGRES_URL")
    if not base:
        raise RuntimeError("ROSTER_COMPAT_BACKEND=postgres needs ROSTER_TEST_POSTGRES_URL")
    schema = f"compat_python_{secrets.token_hex(6)}"
    sep = "&" if "?" in base else "?"
    return base, schema, f"{base}{sep}options=-csearch_path%3D{schema}"


def drop_schema(base, schema):
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextlib.contextmanager
def running_roster(extra_env=None):
    """A Roster as ROSTER_COMPAT_BACKEND says (see the module's text), stopped after."""
    if BACKEND == "postgres":
        base, schema, database_url = postgres_schema_url()
        nodes = [start_node(database_url, extra_env) for _ in range(2)]
        balancer = Balancer([url for _, url in nodes])
        try:
            yield Server(url=balancer.url, database_url=database_url, project=BOOT_PROJECT, key=BOOT_KEY)
        finally:
            balancer.close()
            for proc, _ in nodes:
                stop_node(proc)
            drop_schema(base, schema)
        return
    with tempfile.TemporaryDirectory() as tmp:
        database_url = f"sqlite://{tmp}/roster.db"
        proc, url = start_node(database_url, extra_env)
        try:
            yield Server(url=url, database_url=database_url, project=BOOT_PROJECT, key=BOOT_KEY)
        finally:
            stop_node(proc)


@pytest.fixture(scope="session")
def server():
    with running_roster() as s:
        yield s


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
