"""`pyshelf serve --private` driven by real pip, uv and `pyshelf token`/`upload` (one serve
process for the module): every request needs a read token from the serve process's store."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from local import served
from local.dists import build_wheel

pytestmark = pytest.mark.e2e
UPLOAD_TIMEOUT = 60  # --wait's own limit; failing fast means well under it
FAST = 15.0


@dataclass(frozen=True)
class Wheels:
    foo: Path
    bar: Path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[served.Served]:
    yield from served.serving(tmp_path_factory.mktemp("serve"), "--private")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return served.client_env(tmp_path_factory.mktemp("home"))


def attempt(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A client run that may fail."""
    return subprocess.run(
        command, check=False, env=env, capture_output=True, text=True, timeout=120
    )


def _pyshelf(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return attempt([sys.executable, "-m", "pyshelf.cli", *args], env)


def create_token(server: served.Served, env: dict[str, str], name: str, *args: str) -> str:
    """`pyshelf token create NAME` through serve's S3 endpoint; the token it printed."""
    local = ("--endpoint-url", server.s3_endpoint, "--index-url", server.index_url)
    result = _pyshelf(env, "token", "create", name, *local, *args)
    assert result.returncode == 0, result.stderr
    [token] = re.findall(r"^  (pyshelf_\S+)$", result.stdout, re.MULTILINE)
    assert isinstance(token, str)
    assert f"--index-url {with_token(server.index_url, token)} PACKAGE" in result.stdout
    return token


@pytest.fixture(scope="module")
def admin(server: served.Served, env: dict[str, str]) -> str:
    return create_token(server, env, "admin")


@pytest.fixture(scope="module")
def wheels(
    server: served.Served, env: dict[str, str], admin: str, tmp_path_factory: pytest.TempPathFactory
) -> Wheels:
    """foo 1.0 and bar 1.0, uploaded with `aws s3 cp` (S3 needs no token) and listed."""
    dist = tmp_path_factory.mktemp("dist")
    found = Wheels(build_wheel(dist, "foo", "1.0"), build_wheel(dist, "bar", "1.0"))
    aws = [served.tool("aws"), "s3", "cp", "--endpoint-url", server.s3_endpoint]
    for project, wheel in (("foo", found.foo), ("bar", found.bar)):
        served.run([*aws, str(wheel), f"s3://{server.bucket}/{project}/"], env)
    for project, wheel in (("foo", found.foo), ("bar", found.bar)):
        server.wait_listed(project, {wheel.name}, token=admin)
    return found


def with_token(index_url: str, token: str, user: str = "__token__:") -> str:
    """`http://__token__:TOKEN@host/` (user `""`: `http://TOKEN@host/`)."""
    url = urlsplit(index_url)
    return urlunsplit(url._replace(netloc=f"{user}{token}@{url.netloc}"))


def status(server: served.Served, path: str, token: str | None = None) -> int:
    return served.status(server.index_url, path, token)


def pip_download(index_url: str, project: str, target: Path) -> list[str]:
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(target)]
    return [*command, "--index-url", index_url, project]


def uv_install(index_url: str, project: str, venv: Path) -> list[str]:
    python = _venv(venv)
    command = [served.tool("uv"), "pip", "install", "--python", str(python)]
    return [*command, "--index-url", index_url, project]


def _venv(directory: Path) -> Path:
    served.run([sys.executable, "-m", "venv", "--without-pip", str(directory)], {})
    return directory / "bin" / "python"


def statuses_since(server: served.Served, before: int, path: str) -> set[int]:
    """The statuses the CDN answered for `path` after the first `before` access log lines."""
    found = set()
    for line in server.access_lines(settle=0.3)[before:]:
        match = re.search(r'"GET (\S+) HTTP/1\.1" (\d{3}) ', line)
        if match and match.group(1) == path:
            found.add(int(match.group(2)))
    return found


def test_the_banner_says_private_and_how_to_use_a_token(server: served.Served) -> None:
    text = server.stdout.read_text()
    host = urlsplit(server.index_url).netloc
    assert "  Access       private: every request needs a read token" in text
    create = f"pyshelf token create NAME --endpoint-url {server.s3_endpoint} --index-url "
    assert create + server.index_url in text
    assert f"pip install --index-url http://__token__:TOKEN@{host}/ foo" in text
    assert f"uv pip install --index-url http://__token__:TOKEN@{host}/ foo" in text
    assert "PYSHELF_TOKEN=TOKEN pyshelf upload" in text


def test_pip_and_uv_install_with_the_token_in_the_index_url(
    server: served.Served, env: dict[str, str], admin: str, wheels: Wheels, tmp_path: Path
) -> None:
    index = with_token(server.index_url, admin)
    python = _venv(tmp_path / "pip-venv")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--index-url", index]
    served.run([*pip, "foo"], env)
    result = served.run([str(python), "-c", "import foo_mod as m; print(m.VERSION)"], env)
    assert result.stdout.strip() == "1.0"
    served.run(uv_install(index, "foo==1.0", tmp_path / "uv-venv"), env)
    check = [str(tmp_path / "uv-venv" / "bin" / "python"), "-c", "import foo_mod"]
    served.run(check, env)
    for log in (server.access_log, server.stdout, server.stderr):
        assert admin not in log.read_text()


def test_pip_takes_the_token_as_the_user_name_alone(
    server: served.Served, env: dict[str, str], admin: str, wheels: Wheels, tmp_path: Path
) -> None:
    served.run(pip_download(with_token(server.index_url, admin, user=""), "bar", tmp_path), env)
    assert (tmp_path / wheels.bar.name).read_bytes() == wheels.bar.read_bytes()


def test_without_a_token_pip_and_uv_get_401(
    server: served.Served, env: dict[str, str], wheels: Wheels, tmp_path: Path
) -> None:
    before = len(server.access_lines(settle=0.3))
    pip = attempt(pip_download(server.index_url, "foo", tmp_path / "out"), env)
    assert pip.returncode != 0
    assert statuses_since(server, before, "/foo/") == {401}
    before = len(server.access_lines())
    fresh = env | {"UV_CACHE_DIR": str(tmp_path / "uv-cache")}  # no page cached with a token
    uv = attempt(uv_install(server.index_url, "foo", tmp_path / "venv"), fresh)
    assert uv.returncode != 0
    assert "401 Unauthorized" in uv.stderr
    assert statuses_since(server, before, "/foo/") == {401}
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_a_project_scoped_token_reads_its_projects_only(
    server: served.Served, env: dict[str, str], wheels: Wheels, tmp_path: Path
) -> None:
    token = create_token(server, env, "bar-only", "--project", "bar*")
    assert status(server, "/foo/", token) == 403
    assert status(server, f"/foo/{wheels.foo.name}", token) == 403
    assert status(server, "/", token) == 403  # the root page lists every project
    assert status(server, f"/bar/{wheels.bar.name}", token) == 200
    index = with_token(server.index_url, token)
    served.run(pip_download(index, "bar", tmp_path / "bar"), env)
    assert (tmp_path / "bar" / wheels.bar.name).exists()
    before = len(server.access_lines(settle=0.3))
    assert attempt(pip_download(index, "foo", tmp_path / "foo"), env).returncode != 0
    assert statuses_since(server, before, "/foo/") == {403}


def test_a_revoked_token_is_refused_from_the_next_request(
    server: served.Served, env: dict[str, str], wheels: Wheels, tmp_path: Path
) -> None:
    token = create_token(server, env, "short-lived")
    assert status(server, "/foo/", token) == 200
    result = _pyshelf(env, "token", "revoke", "short-lived", "--endpoint-url", server.s3_endpoint)
    assert result.returncode == 0, result.stderr
    revoked = time.monotonic()
    assert status(server, "/foo/", token) == 401  # no delay in pyshelf serve
    print(f"revoke returned -> 401 after {1000 * (time.monotonic() - revoked):.1f} ms")
    index = with_token(server.index_url, token)
    assert attempt(pip_download(index, "foo", tmp_path), env).returncode != 0


def test_upload_wait_reads_the_private_index_with_pyshelf_token(
    server: served.Served, env: dict[str, str], admin: str, tmp_path: Path
) -> None:
    upload = ["upload", "--endpoint-url", server.s3_endpoint, "--bucket", server.bucket]
    upload += ["--index-url", server.index_url, "--wait", "--timeout", str(UPLOAD_TIMEOUT)]
    with_admin = env | {"PYSHELF_TOKEN": admin}
    result = _pyshelf(with_admin, *upload, str(build_wheel(tmp_path, "waited", "1.0")))
    assert result.returncode == 0, result.stderr
    assert "indexed: 1 file(s) listed with their sha256" in result.stdout

    started = time.monotonic()
    result = _pyshelf(env, *upload, str(build_wheel(tmp_path, "unwaited", "1.0")))
    assert time.monotonic() - started < FAST, result.stderr
    assert (result.returncode, result.stdout) == (1, ""), "--wait cannot work: nothing is sent"
    assert result.stderr.splitlines()[-1] == (
        f"Error: {server.index_url}: HTTP 401 (a private index: set PYSHELF_TOKEN to a read token)"
    )
