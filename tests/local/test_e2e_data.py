"""`pyshelf serve --data DIR`: what was uploaded (and deleted) survives a restart."""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from local import served
from local.dists import build_sdist, build_wheel

pytestmark = pytest.mark.e2e


def _stop_cleanly(server: served.Served) -> None:
    code, seconds = server.stop()
    assert code == 0, server.stderr.read_text()
    assert seconds < 10


def _wait_unlisted(server: served.Served, project: str, filename: str) -> None:
    deadline = time.monotonic() + served.VISIBLE_TIMEOUT
    while filename in {f["filename"] for f in server.page(project)["files"]}:
        assert time.monotonic() < deadline, f"{filename} still listed"
        time.sleep(0.1)


def test_uploads_and_deletes_survive_a_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = served.client_env(tmp_path / "home")
    wheel = build_wheel(tmp_path, "keep-me", "1.0")
    doomed = build_sdist(tmp_path, "keep-me", "0.9")
    first = served.start(tmp_path / "first", "--data", str(data))
    try:
        assert f"kept in {data}" in first.stdout.read_text()
        aws = [served.tool("aws"), "s3", "--endpoint-url", first.s3_endpoint]
        for path in (wheel, doomed):
            served.run([*aws, "cp", str(path), f"s3://{first.bucket}/keep-me/"], env)
        before = first.wait_listed("keep-me", {wheel.name, doomed.name})
        served.run([*aws, "rm", f"s3://{first.bucket}/keep-me/{doomed.name}"], env)
        _wait_unlisted(first, "keep-me", doomed.name)
    finally:
        _stop_cleanly(first)
    assert (data / "keep-me" / wheel.name).read_bytes() == wheel.read_bytes()

    second = served.start(tmp_path / "second", "--data", str(data))
    try:
        page = second.page("keep-me")
        assert [f["filename"] for f in page["files"]] == [wheel.name]
        [listed] = page["files"]
        uploaded = {f["filename"]: f["upload-time"] for f in before["files"]}
        assert listed["upload-time"] == uploaded[wheel.name]
        assert listed["hashes"]["sha256"] == hashlib.sha256(wheel.read_bytes()).hexdigest()
        with urllib.request.urlopen(f"{second.index_url}keep-me/{wheel.name}") as response:
            assert response.read() == wheel.read_bytes()
    finally:
        _stop_cleanly(second)


def test_a_taken_port_fails_clearly_and_first(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        for option in ("--s3-port", "--port"):
            command = [sys.executable, "-m", "pyshelf.cli", "serve", "--port", "0"]
            command += ["--s3-port", "0", option, port]
            result = subprocess.run(
                command, check=False, capture_output=True, text=True, timeout=60, cwd=tmp_path
            )
            # One message for either port, before any work (no "indexed 0 projects" first).
            assert (result.returncode, result.stderr) == (
                1,
                f"Error: cannot listen on 127.0.0.1:{port} ({option}): Address already in use; "
                "pass another --port or --s3-port, or 0 for any free port\n",
            )
