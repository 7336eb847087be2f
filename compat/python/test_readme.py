"""The README's Python snippet, run as a new user would run it.

A server is started exactly as the README says (ROSTER_PROJECT_ID and
ROSTER_MANAGEMENT_KEY from the README), on a free port instead of 8080 so that tests
never collide with a server a developer has running; the snippet's base URL is the only
text changed.
"""

import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from conftest import BIN, REPO, free_port


def readme_block(lang):
    text = (REPO / "README.md").read_text()
    blocks = re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)
    assert blocks, f"no {lang} block in the README"
    return blocks[0]


def readme_env():
    text = (REPO / "README.md").read_text()
    project = re.search(r"ROSTER_PROJECT_ID=(\S+)", text).group(1)
    key = re.search(r"ROSTER_MANAGEMENT_KEY=(\S+)", text).group(1)
    return project, key


def test_the_readme_python_snippet_works(capsys):
    project, key = readme_env()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, ROSTER_PROJECT_ID=project, ROSTER_MANAGEMENT_KEY=key)
        proc = subprocess.Popen(
            [BIN, "serve", "--listen", f"127.0.0.1:{port}", "--database-url", f"sqlite://{tmp}/roster.db"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if httpx.get(f"{url}/health/ready").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.05)
            snippet = readme_block("python").replace("http://127.0.0.1:8080", url)
            exec(compile(snippet, "README.md", "exec"), {})
            out = capsys.readouterr().out.splitlines()
            assert out == [
                "Ann",
                'loginId: no user has the login ID or user ID "nobody@example.com"',
            ]
        finally:
            proc.terminate()
            proc.wait(timeout=10)
