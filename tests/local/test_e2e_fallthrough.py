"""One index URL for everything (docs/fallthrough.md), end to end: two `pyshelf serve` processes,
"pypi" (public) and "private" (`--private --upstream`, through a proxy that records what reaches
the upstream), driven by real pip, uv and pyshelf. A name published in the private index is
never served from the upstream, even once its files are deleted; other names fall through."""

from __future__ import annotations

import http.client
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import boto3
import pytest

from local import served
from local.dists import build_wheel
from local.recording_proxy import RecordingProxy, recording_proxy
from pyshelf.access.cloudfront import CloudFrontKeyValueStore, client_for
from pyshelf.access.registry import TokenRegistry
from pyshelf.constants import LOCAL_KVS_ARN
from pyshelf.local import aws
from pyshelf.storage.s3 import S3Store

pytestmark = pytest.mark.e2e
RESERVED = "internal-*"
# On "pypi": six (only there), and higher versions of names published in "private".
PUBLIC_PROJECTS = {"six": "1.16.0", "acme-lib": "9.0", "acme-tool": "9.0", "internal-tool": "9.0"}
QUICK = ("--timeout", "30", "--interval", "0.1")  # release-name: look for the report often
RACE_SECONDS = 20.0  # the whole race test's bound
RACE_CLIENTS = 4
RACE_REQUESTS = 4000  # per client


@dataclass(frozen=True)
class Indexes:
    pypi: served.Served
    private: served.Served
    upstream: RecordingProxy  # in front of "pypi": what the private index redirects to
    token: str

    def index_url(self) -> str:
        """The private index with the token, as pip and uv take it."""
        url = urlsplit(self.private.index_url)
        return urlunsplit(url._replace(netloc=f"__token__:{self.token}@{url.netloc}"))


def _bucket(server: served.Served) -> S3Store:
    return S3Store(aws.s3_client(server.s3_endpoint), server.bucket)


def _publish(
    server: served.Served, project: str, version: str, dist: Path, token: str | None = None
) -> str:
    """Put a wheel in the bucket and wait until the page lists it (read with `token`)."""
    wheel = build_wheel(dist, project, version)
    _bucket(server).put(
        f"{project}/{wheel.name}", wheel.read_bytes(), content_type="application/zip"
    )
    server.wait_listed(project, {wheel.name}, token=token)
    return wheel.name


def _token(server: served.Served) -> str:
    """A read token, written through the KeyValueStore API as `pyshelf token create` does."""
    session = boto3.Session(
        aws_access_key_id=aws.ACCESS_KEY_ID,
        aws_secret_access_key=aws.SECRET_ACCESS_KEY,
        region_name=aws.REGION,
    )
    store = CloudFrontKeyValueStore(client_for(session, server.s3_endpoint), LOCAL_KVS_ARN)
    return TokenRegistry(store).create("e2e", lifetime=3600).token


@pytest.fixture(scope="module")
def indexes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Indexes]:
    dist = tmp_path_factory.mktemp("dist")
    pypi = served.start(tmp_path_factory.mktemp("pypi"))
    try:
        for project, version in PUBLIC_PROJECTS.items():
            _publish(pypi, project, version, dist)
        with recording_proxy(pypi.index_url) as upstream:
            options = ("--private", "--upstream", upstream.url, "--reserve", RESERVED)
            private = served.start(tmp_path_factory.mktemp("private"), *options)
            try:
                token = _token(private)
                _publish(private, "acme-lib", "1.0", dist, token)
                yield Indexes(pypi, private, upstream, token)
            finally:
                _stopped(private)
    finally:
        _stopped(pypi)


def _stopped(server: served.Served) -> None:
    code, _ = server.stop()
    assert code == 0, server.stderr.read_text()


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return served.client_env(tmp_path_factory.mktemp("home"))


# The clients.


def _venv(directory: Path) -> Path:
    served.run([sys.executable, "-m", "venv", "--without-pip", str(directory)], {})
    return directory / "bin" / "python"


def pip_install(index: str, venv: Path, *projects: str) -> list[str]:
    python = _venv(venv)
    return [
        sys.executable,
        "-m",
        "pip",
        "--python",
        str(python),
        "install",
        "--index-url",
        index,
        *projects,
    ]


def uv_install(index: str, venv: Path, *projects: str) -> list[str]:
    python = _venv(venv)
    return [
        served.tool("uv"),
        "pip",
        "install",
        "--python",
        str(python),
        "--index-url",
        index,
        *projects,
    ]


INSTALLERS = {"pip": pip_install, "uv": uv_install}


def attempt(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, check=False, env=env, capture_output=True, text=True, timeout=120
    )


def installed(venv: Path, *modules: str) -> list[str]:
    """The VERSION of each module `<project>_mod` installed in the venv."""
    code = f"import importlib; print(*(importlib.import_module(m).VERSION for m in {modules!r}))"
    result = served.run([str(venv / "bin" / "python"), "-c", code], {})
    return result.stdout.split()


# What each side saw.


def statuses(server: served.Served, before: int, path: str) -> list[int]:
    """The statuses the CDN answered for `path` after the first `before` access log lines."""
    found = []
    for line in server.access_lines(settle=0.3)[before:]:
        match = re.search(r'"(?:GET|HEAD) (\S+) HTTP/1\.1" (\d{3}) ', line)
        if match and match.group(1) == path:
            found.append(int(match.group(2)))
    return found


def upstream_paths(indexes: Indexes, before: int) -> list[str]:
    return [seen.path for seen in indexes.upstream.seen()[before:]]


def test_the_banner_says_the_upstream_and_the_reserved_globs(indexes: Indexes) -> None:
    text = indexes.private.stdout.read_text()
    assert f"  Upstream     {indexes.upstream.url}   (pages of names not published here" in text
    assert f"  Reserved     {RESERVED}   (never redirected" in text


@pytest.mark.parametrize("client", sorted(INSTALLERS))
def test_private_names_come_from_here_others_from_upstream_without_the_token(
    indexes: Indexes, env: dict[str, str], tmp_path: Path, client: str
) -> None:
    """acme-lib 1.0 is private, six only upstream (which also has acme-lib 9.0); the token goes
    to the private index and never to the upstream."""
    env = env | {"UV_CACHE_DIR": str(tmp_path / "uv-cache")}
    log_before, seen_before = (
        len(indexes.private.access_lines(settle=0.3)),
        len(indexes.upstream.seen()),
    )
    command = INSTALLERS[client](indexes.index_url(), tmp_path / "venv", "acme-lib", "six")
    served.run(command, env)
    assert installed(tmp_path / "venv", "acme_lib_mod", "six_mod") == ["1.0", "1.16.0"]
    assert set(statuses(indexes.private, log_before, "/six/")) == {307}
    assert set(statuses(indexes.private, log_before, "/acme-lib/")) == {200}
    paths = upstream_paths(indexes, seen_before)
    assert "/six/" in paths
    assert any(path.startswith("/six/six-1.16.0-py3-none-any.whl") for path in paths)
    assert not [path for path in paths if "acme" in path]
    reached = indexes.upstream.seen()[seen_before:]
    assert [seen.path for seen in reached if "authorization" in seen.headers] == []
    assert all(indexes.token not in str(seen) for seen in reached)


def test_a_reserved_name_never_falls_through(
    indexes: Indexes, env: dict[str, str], tmp_path: Path
) -> None:
    """internal-tool is only upstream, but `internal-*` is reserved: 404 here, no redirect."""
    log_before, seen_before = (
        len(indexes.private.access_lines(settle=0.3)),
        len(indexes.upstream.seen()),
    )
    failed = attempt(pip_install(indexes.index_url(), tmp_path / "venv", "internal-tool"), env)
    assert failed.returncode != 0
    assert set(statuses(indexes.private, log_before, "/internal-tool/")) == {404}
    assert upstream_paths(indexes, seen_before) == []


def status(server: served.Served, path: str, token: str | None = None) -> int:
    return served.status(server.index_url, path, token)


def wait_status(indexes: Indexes, path: str, wanted: int) -> None:
    deadline = time.monotonic() + served.VISIBLE_TIMEOUT
    while (got := status(indexes.private, path, indexes.token)) != wanted:
        assert time.monotonic() < deadline, f"{path}: {got}, not {wanted}"
        time.sleep(0.1)


def pyshelf(indexes: Indexes, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    target = ("--endpoint-url", indexes.private.s3_endpoint, "--bucket", indexes.private.bucket)
    return attempt([sys.executable, "-m", "pyshelf.cli", *args, *target], env)


def test_a_deleted_project_stays_private_until_its_name_is_released(
    indexes: Indexes, env: dict[str, str], tmp_path: Path
) -> None:
    """acme-tool 1.0 here, 9.0 upstream: after `pyshelf delete` installing it fails (404 here,
    nothing asked upstream); re-uploaded, the private one is installed; only `pyshelf
    release-name` (refused while it has files) lets it fall through."""
    _publish(indexes.private, "acme-tool", "1.0", tmp_path, indexes.token)
    seen_before = len(indexes.upstream.seen())
    deleted = pyshelf(indexes, env, "delete", "--yes", "acme-tool")
    assert deleted.returncode == 0, deleted.stderr
    wait_status(indexes, "/acme-tool/", 404)
    log_before = len(indexes.private.access_lines(settle=0.3))
    for client, install in sorted(INSTALLERS.items()):
        fresh = env | {"UV_CACHE_DIR": str(tmp_path / f"uv-cache-{client}")}
        failed = attempt(install(indexes.index_url(), tmp_path / client, "acme-tool"), fresh)
        assert failed.returncode != 0, client
    assert set(statuses(indexes.private, log_before, "/acme-tool/")) == {404}
    assert [path for path in upstream_paths(indexes, seen_before) if "acme" in path] == []

    _publish(indexes.private, "acme-tool", "1.1", tmp_path, indexes.token)
    served.run(pip_install(indexes.index_url(), tmp_path / "again", "acme-tool"), env)
    assert installed(tmp_path / "again", "acme_tool_mod") == ["1.1"]
    refused = pyshelf(indexes, env, "release-name", "acme-tool", *QUICK)
    assert (refused.returncode, refused.stdout) == (1, "")
    assert refused.stderr.splitlines()[-1] == (
        "Error: acme-tool still has files here: delete them first (pyshelf delete acme-tool)"
    )

    assert pyshelf(indexes, env, "delete", "--yes", "acme-tool").returncode == 0
    wait_status(indexes, "/acme-tool/", 404)
    released = pyshelf(indexes, env, "release-name", "Acme_Tool", *QUICK)
    assert released.returncode == 0, released.stderr
    assert released.stdout.startswith("released acme-tool: ")
    assert status(indexes.private, "/acme-tool/", indexes.token) == 307  # from the next request
    served.run(pip_install(indexes.index_url(), tmp_path / "upstream", "acme-tool"), env)
    assert installed(tmp_path / "upstream", "acme_tool_mod") == ["9.0"]
    again = pyshelf(indexes, env, "release-name", "acme-tool", *QUICK)
    assert again.returncode == 1
    assert again.stderr.splitlines()[-1] == (
        "Error: acme-tool is not reserved here (no tombstone, no private-set key)"
    )


@dataclass(frozen=True)
class Answered:
    started: float
    ended: float
    status: int


class Pollers:
    """RACE_CLIENTS threads GETting one page of the private index with the token, not following
    redirects, each on its own keep-alive connection, until stopped (or RACE_REQUESTS each)."""

    def __init__(self, indexes: Indexes, path: str) -> None:
        self.indexes, self.path = indexes, path
        self.answers: list[Answered] = []
        self.errors: list[BaseException] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._poll) for _ in range(RACE_CLIENTS)]

    def __enter__(self) -> Pollers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def _poll(self) -> None:
        url = urlsplit(self.indexes.private.index_url)
        connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
        headers = served.basic_auth(self.indexes.token)
        try:
            for _ in range(RACE_REQUESTS):
                if self.stop.is_set():
                    break
                started = time.monotonic()
                connection.request("GET", self.path, headers=headers)
                response = connection.getresponse()
                response.read()
                self.answers.append(Answered(started, time.monotonic(), response.status))
                time.sleep(0.002)
        except BaseException as exc:  # shown by the test
            self.errors.append(exc)
        finally:
            connection.close()

    def wait_for(self, wanted: set[int], after: float, deadline: float) -> float:
        """When the first answer in `wanted` to a request started after `after` came."""
        while True:
            answers = list(self.answers)
            found = [a.ended for a in answers if a.status in wanted and a.started > after]
            if found:
                return min(found)
            assert not self.errors, self.errors
            assert time.monotonic() < deadline, f"no {wanted} in time: {self.counts()}"
            time.sleep(0.02)

    def counts(self) -> dict[int, int]:
        counted: dict[int, int] = {}
        for answer in list(self.answers):
            counted[answer.status] = counted.get(answer.status, 0) + 1
        return counted


def test_once_a_new_project_is_served_no_client_is_redirected_again(
    indexes: Indexes, tmp_path: Path
) -> None:
    """fresh-pkg falls through until it is uploaded here; from the first 200 on, no request
    (started after it) is redirected upstream, not even after its files are deleted."""
    store = _bucket(indexes.private)
    wheel = build_wheel(tmp_path, "fresh-pkg", "1.0")
    key = f"fresh-pkg/{wheel.name}"
    started = time.monotonic()
    deadline = started + RACE_SECONDS
    with Pollers(indexes, "/fresh-pkg/") as pollers:
        pollers.wait_for({307}, started, deadline)
        uploaded = time.monotonic()
        store.put(key, wheel.read_bytes(), content_type="application/zip")
        first_served = pollers.wait_for({200}, uploaded, deadline)
        time.sleep(0.3)
        store.delete(key)
        deleted = time.monotonic()
        pollers.wait_for({307, 404}, deleted, deadline)  # the page is gone
        time.sleep(0.3)
    assert not pollers.errors, pollers.errors
    answers = pollers.answers
    late = [a for a in answers if a.status == 307 and a.started > first_served]
    assert late == [], f"redirected after the page was served: {late[:3]}"
    assert {a.status for a in answers} <= {200, 307, 404}
    after_delete = {a.status for a in answers if a.started > deleted}
    assert 404 in after_delete and 307 not in after_delete
    ordered = "".join(str(a.status)[0] for a in sorted(answers, key=lambda a: a.started))
    print(f"race (first digit of each status, by start): {ordered}")
    print(
        f"race: {len(answers)} requests, {pollers.counts()}, "
        f"upload -> first 200: {first_served - uploaded:.2f}s"
    )
