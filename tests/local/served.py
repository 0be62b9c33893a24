"""A real `pyshelf serve` in a subprocess, and the real clients the e2e tests drive against it."""

from __future__ import annotations

import base64
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pyshelf.core.encoding import decoded
from pyshelf.local.aws import client_environment

START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
VISIBLE_TIMEOUT = 20.0
JSON_ACCEPT = "application/vnd.pypi.simple.v1+json"
_CLIENT_ENV_DROP = ("PIP_", "UV_", "AWS_", "PYTHONPATH")


def tool(name: str) -> str:
    """A console script of the running environment (pip, uv, aws)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is not installed (pip install -e '.[dev]')"
    return found


def client_env(home: Path) -> dict[str, str]:
    """A clean environment for clients: no user config, dummy AWS credentials, private caches."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_CLIENT_ENV_DROP)}
    env.update(client_environment())
    env.update(
        {
            "AWS_CONFIG_FILE": str(home / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
            "PIP_NO_INPUT": "1",
            "PIP_NO_CACHE_DIR": "1",
            "UV_NO_CONFIG": "1",
            "UV_CACHE_DIR": str(home / "uv-cache"),
            "UV_PYTHON_DOWNLOADS": "never",
        }
    )
    return env


def run(command: list[str], env: dict[str, str], **kw: Any) -> subprocess.CompletedProcess[str]:
    """Run a client; fail with its output when it fails."""
    result = subprocess.run(
        command, check=False, env=env, capture_output=True, text=True, timeout=120, **kw
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return result


def basic_auth(token: str | None, user: str = "__token__") -> dict[str, str]:
    """The Authorization header pip sends for `http://USER:TOKEN@host/` (none without a token)."""
    if token is None:
        return {}
    encoded = base64.b64encode(f"{user}:{token}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


def status(index_url: str, path: str, token: str | None = None) -> int:
    """One GET of `path` on the index (with the token, if any), redirects not followed."""
    url = urlsplit(index_url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        connection.request("GET", path, headers=basic_auth(token))
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    index_url: str
    s3_endpoint: str
    bucket: str
    access_log: Path
    stdout: Path
    stderr: Path

    def stop(self) -> tuple[int, float]:
        """Ctrl-C; return (exit code, seconds it took)."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGINT)
        try:
            code = self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            log = self.stderr.read_text()
            raise AssertionError(f"serve did not stop on SIGINT:\n{log}") from None
        return code, time.monotonic() - started

    def access_lines(self, settle: float = 0.0) -> list[str]:
        """The access log; with settle, once no line was added for that many seconds (a line
        is written just after its response is sent)."""
        lines = self.access_log.read_text().splitlines()
        while settle:
            time.sleep(settle)
            again = self.access_log.read_text().splitlines()
            if again == lines:
                break
            lines = again
        return lines

    def page(
        self, project: str, token: str | None = None, accept_encoding: str = "gzip, deflate"
    ) -> dict[str, Any]:
        """The project's JSON page, asked for gzipped as pip does (decoded by its
        Content-Encoding); `token` is sent as pip sends it (private index)."""
        headers = {"Accept": JSON_ACCEPT, "Accept-Encoding": accept_encoding} | basic_auth(token)
        request = urllib.request.Request(f"{self.index_url}{project}/", headers=headers)
        with urllib.request.urlopen(request, timeout=10) as response:
            body = decoded(response.read(), response.headers.get("Content-Encoding"))
            document: dict[str, Any] = json.loads(body)
            return document

    def wait_listed(
        self, project: str, filenames: set[str], token: str | None = None
    ) -> dict[str, Any]:
        """The project's JSON page once it lists every filename (bounded wait)."""
        deadline = time.monotonic() + VISIBLE_TIMEOUT
        while True:
            try:
                page = self.page(project, token)
                if filenames <= {f["filename"] for f in page["files"]}:
                    return page
            except OSError:
                page = {}
            if time.monotonic() > deadline:
                raise AssertionError(f"{filenames} not listed on {project} in time: {page}")
            time.sleep(0.1)


def serving(workdir: Path, *args: str) -> Iterator[Served]:
    """A module fixture's body: `pyshelf serve` running until the module is done, and stopped
    cleanly (exit 0)."""
    running = start(workdir, *args)
    yield running
    code, _seconds = running.stop()
    assert code == 0, running.stderr.read_text()


def start(workdir: Path, *args: str) -> Served:
    """`pyshelf serve` on free ports, ready once its banner is printed."""
    workdir.mkdir(parents=True, exist_ok=True)
    stdout, stderr, access_log = (workdir / n for n in ("stdout", "stderr", "access.log"))
    command = [sys.executable, "-m", "pyshelf.cli", "serve", "--port", "0", "--s3-port", "0"]
    command += ["--access-log", str(access_log), *args]
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(command, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    fields = _wait_banner(process, stdout, stderr)
    return Served(
        process,
        fields["Index URL"],
        fields["S3 endpoint"],
        fields["Bucket"],
        access_log,
        stdout,
        stderr,
    )


def _wait_banner(process: subprocess.Popen[bytes], stdout: Path, stderr: Path) -> dict[str, str]:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        fields = {}
        for line in stdout.read_text().splitlines():
            name, _, rest = line.strip().partition("  ")
            if rest.strip():
                fields[name] = rest.split()[0]
        if {"Index URL", "S3 endpoint", "Bucket"} <= fields.keys():
            return fields
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.kill()
    raise AssertionError(f"serve did not start:\n{stderr.read_text()}")
