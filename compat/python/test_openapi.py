"""schemathesis against a real Roster: the OpenAPI document it serves, checked with
positive and negative cases on every operation (compat/python/schemathesis.toml says
which checks and why). Its own server, so that what schemathesis creates and deletes
touches no other test."""

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
from conftest import BOOT_KEY, BOOT_PROJECT, running_roster

HERE = Path(__file__).resolve().parent
ST = Path(sys.executable).parent / "st"
# Cases per operation and phase; ROSTER_SCHEMATHESIS_EXAMPLES raises it for a longer run.
EXAMPLES = os.environ.get("ROSTER_SCHEMATHESIS_EXAMPLES", "10")


def test_every_operation_answers_as_the_document_says():
    with running_roster() as server:
        run = subprocess.run(
            [
                str(ST),
                "--config-file",
                str(HERE / "schemathesis.toml"),
                "run",
                f"{server.url}/openapi.json",
                "--header",
                f"Authorization: Bearer {BOOT_PROJECT}:{BOOT_KEY}",
                # Every operation: without a filter, schemathesis leaves out the one
                # that serves the document itself.
                "--include-path-regex",
                ".*",
                "--mode",
                "all",
                "--max-examples",
                EXAMPLES,
                "--workers",
                "2",
                "--seed",
                "20261127",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=1800,
        )
        # The first failures in full, and the summary.
        summary = f"{run.stdout[:12000]}\n[...]\n{run.stdout[-3000:]}"
        assert run.returncode == 0, f"schemathesis failed:\n{summary}\n{run.stderr[-2000:]}"
        # Every operation of the document was tested.
        document = httpx.get(f"{server.url}/openapi.json").json()
        methods = {"get", "put", "post", "delete", "patch"}
        operations = sum(len(methods & set(item)) for item in document["paths"].values())
        tested = re.search(r"Tested: (\d+)", run.stdout)
        assert tested and int(tested.group(1)) == operations, summary
        assert operations >= 100, operations
