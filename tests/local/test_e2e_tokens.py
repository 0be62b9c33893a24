"""`pyshelf token` against a real `pyshelf serve --data DIR`: the tokens live in the serve
process, reached through the S3 endpoint, and survive a restart (hashes only on disk)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from local import served
from pyshelf.local.datadir import KVS_FILE

pytestmark = pytest.mark.e2e


def _token(env: dict[str, str], server: served.Served, *args: str) -> str:
    command = [sys.executable, "-m", "pyshelf.cli", "token", *args]
    command += ["--endpoint-url", server.s3_endpoint]
    return served.run(command, env).stdout


def test_tokens_live_in_serve_and_survive_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = served.client_env(tmp_path / "home")
    first = served.start(tmp_path / "first", "--data", str(data))
    try:
        output = _token(env, first, "create", "ci", "--index-url", first.index_url)
        [token] = [line.strip() for line in output.splitlines() if line.startswith("  pyshelf_")]
    finally:
        assert first.stop()[0] == 0, first.stderr.read_text()
    stored = (data / KVS_FILE).read_text()
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert json.loads(stored)["items"]["token-name:ci"] == digest
    assert token not in stored
    for log in (first.stdout, first.stderr, first.access_log):
        assert token not in log.read_text()

    second = served.start(tmp_path / "second", "--data", str(data))
    try:
        listed = _token(env, second, "list")
        assert listed.splitlines()[1].split()[:3] == ["ci", "read", "*"]
        _token(env, second, "revoke", "ci")
        command = [sys.executable, "-m", "pyshelf.cli", "token", "revoke", "ci"]
        again = subprocess.run(
            [*command, "--endpoint-url", second.s3_endpoint],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        assert (again.returncode, again.stderr) == (1, "Error: no token named 'ci'\n")
    finally:
        assert second.stop()[0] == 0, second.stderr.read_text()
    assert json.loads((data / KVS_FILE).read_text())["items"] == {}
