"""The official Python SDK over HTTPS: `roster serve --tls-cert --tls-key` with a
certificate from a test CA that the SDK is told to trust (REQUESTS_CA_BUNDLE, as the
SDK reads it); a client that does not trust the CA is refused, and plain HTTP to the
HTTPS port gets no answer."""

import subprocess

import httpx
import pytest
from descope import AuthException, DescopeClient

from conftest import BOOT_KEY, BOOT_PROJECT, start_node, stop_node


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def certificates(tmp_path):
    """A CA, and a certificate for 127.0.0.1 it signed."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
            "-out", "ca.pem", "-days", "2", "-subj", "/CN=Roster Test CA", cwd=tmp_path)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
            "-out", "server.csr", "-subj", "/CN=127.0.0.1", cwd=tmp_path)
    (tmp_path / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf",
            cwd=tmp_path)
    return tmp_path


def test_the_sdk_talks_to_roster_over_https(certificates, tmp_path, monkeypatch):
    env = {
        "ROSTER_TLS_CERT": str(certificates / "server.pem"),
        "ROSTER_TLS_KEY": str(certificates / "server.key"),
    }
    db = f"sqlite://{tmp_path / 'tls.db'}"
    proc, url = start_node(db, env, ca_file=str(certificates / "ca.pem"))
    try:
        assert url.startswith("https://")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificates / "ca.pem"))
        client = DescopeClient(project_id=BOOT_PROJECT, management_key=BOOT_KEY, base_url=url)
        user = client.mgmt.user.create("tls@example.com", email="tls@example.com")["user"]
        assert client.mgmt.user.load("tls@example.com")["user"]["userId"] == user["userId"]

        # A client that does not trust the CA cannot talk to it.
        monkeypatch.delenv("REQUESTS_CA_BUNDLE")
        untrusting = DescopeClient(project_id=BOOT_PROJECT, management_key=BOOT_KEY, base_url=url)
        with pytest.raises((AuthException, httpx.HTTPError)):
            untrusting.mgmt.user.load("tls@example.com")
        # Plain HTTP to the HTTPS port gets no HTTP answer.
        with pytest.raises(httpx.HTTPError):
            httpx.get(url.replace("https://", "http://") + "/health/live", timeout=3)
    finally:
        stop_node(proc)
