"""Real awscli, pip and uv against one `pyshelf serve` subprocess (shared by this module)."""

from __future__ import annotations

import hashlib
import http.client
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from local import served
from local.dists import build_sdist, build_wheel

pytestmark = pytest.mark.e2e
PROJECT = "hello-world"
MANY_VERSIONS = 15


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[served.Served]:
    running = served.start(tmp_path_factory.mktemp("serve"))
    assert "in memory" in running.stdout.read_text()
    yield running
    code, seconds = running.stop()
    assert code == 0, running.stderr.read_text()
    assert seconds < 10


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return served.client_env(tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="module")
def hello(
    server: served.Served, env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """A wheel and an sdist of Hello_World 1.0, uploaded with `aws s3 cp` (the sdist to the
    bucket root: the indexer files it under its project)."""
    dist = tmp_path_factory.mktemp("dist")
    wheel = build_wheel(dist, "Hello_World", "1.0", requires_python=">=3.8")
    sdist = build_sdist(dist, "Hello_World", "1.0")
    aws = [served.tool("aws"), "s3", "cp", "--endpoint-url", server.s3_endpoint]
    served.run([*aws, str(wheel), f"s3://{server.bucket}/{PROJECT}/"], env)
    served.run([*aws, str(sdist), f"s3://{server.bucket}/"], env)
    return {"wheel": wheel, "sdist": sdist}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _venv(directory: Path) -> Path:
    served.run([sys.executable, "-m", "venv", "--without-pip", str(directory)], {})
    return directory / "bin" / "python"


def test_aws_s3_cp_wheel_and_sdist_appear_on_the_page(
    server: served.Served, hello: dict[str, Path]
) -> None:
    page = server.wait_listed(PROJECT, {p.name for p in hello.values()})
    files = {f["filename"]: f for f in page["files"]}
    for path in hello.values():
        assert files[path.name]["hashes"]["sha256"] == _sha256(path)
        assert files[path.name]["upload-time"].endswith("Z")
    assert files[hello["wheel"].name]["requires-python"] == ">=3.8"
    assert files[hello["wheel"].name]["core-metadata"]


def test_pip_install_into_a_fresh_venv(
    server: served.Served, env: dict[str, str], hello: dict[str, Path], tmp_path: Path
) -> None:
    server.wait_listed(PROJECT, {p.name for p in hello.values()})
    python = _venv(tmp_path / "venv")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install"]
    served.run([*pip, "--index-url", server.index_url, "Hello.World"], env)
    result = served.run([str(python), "-c", "import hello_world_mod as m; print(m.VERSION)"], env)
    assert result.stdout.strip() == "1.0"


def test_pip_download_with_require_hashes(
    server: served.Served, env: dict[str, str], hello: dict[str, Path], tmp_path: Path
) -> None:
    server.wait_listed(PROJECT, {p.name for p in hello.values()})
    hashes = " ".join(f"--hash=sha256:{_sha256(p)}" for p in hello.values())
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"hello-world==1.0 {hashes}\n")
    command = [sys.executable, "-m", "pip", "download", "--require-hashes", "--no-deps"]
    command += ["--only-binary", ":all:", "--index-url", f"{server.index_url}simple/"]
    served.run([*command, "-r", str(requirements), "-d", str(tmp_path / "out")], env)
    assert (tmp_path / "out" / hello["wheel"].name).read_bytes() == hello["wheel"].read_bytes()


def _get(server: served.Served, path: str) -> http.client.HTTPResponse:
    url = urlsplit(server.index_url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/Hello_World/", "/hello-world/"),
        ("/simple/Hello.World", "/simple/hello-world/"),
        ("/hello-world", "/hello-world/"),
    ],
)
def test_non_normalized_project_urls_redirect(
    server: served.Served, path: str, location: str
) -> None:
    response = _get(server, path)
    assert (response.status, response.headers["Location"]) == (301, location)


def test_unknown_project_is_404(server: served.Served, env: dict[str, str]) -> None:
    assert _get(server, "/no-such-project/").status == 404
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", "/nonexistent"]
    command += ["--index-url", server.index_url, "no-such-project"]
    result = subprocess.run(
        command, check=False, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "No matching distribution found for no-such-project" in result.stderr


def test_uv_pip_install(
    server: served.Served, env: dict[str, str], hello: dict[str, Path], tmp_path: Path
) -> None:
    server.wait_listed(PROJECT, {p.name for p in hello.values()})
    python = _venv(tmp_path / "venv")
    uv = [served.tool("uv"), "pip", "install", "--python", str(python)]
    served.run([*uv, "--index-url", server.index_url, "hello_world==1.0"], env)
    result = served.run([str(python), "-c", "import hello_world_mod as m; print(m.VERSION)"], env)
    assert result.stdout.strip() == "1.0"


def _compile(server: served.Served, env: dict[str, str], requirement: str, *extra: str) -> str:
    command = [served.tool("uv"), "pip", "compile", "-", "--python", sys.executable]
    command += ["--no-header", "--index-url", server.index_url, *extra]
    return served.run(command, env, input=requirement + "\n").stdout


def _upload_time(page: dict[str, object], filename: str) -> datetime:
    files = page["files"]
    assert isinstance(files, list)
    [text] = [f["upload-time"] for f in files if f["filename"] == filename]
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def test_uv_pip_compile_exclude_newer(
    server: served.Served, env: dict[str, str], tmp_path: Path
) -> None:
    aws = [served.tool("aws"), "s3", "cp", "--endpoint-url", server.s3_endpoint]
    old = build_wheel(tmp_path, "timed", "1.0")
    served.run([*aws, str(old), f"s3://{server.bucket}/timed/"], env)
    first = _upload_time(server.wait_listed("timed", {old.name}), old.name)
    time.sleep(2.1)  # upload times have one-second resolution in the emulator
    new = build_wheel(tmp_path, "timed", "2.0")
    served.run([*aws, str(new), f"s3://{server.bucket}/timed/"], env)
    second = _upload_time(server.wait_listed("timed", {new.name}), new.name)
    cutoff = first + timedelta(seconds=1)
    assert second > cutoff
    assert "timed==2.0" in _compile(server, env, "timed")
    stamp = cutoff.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert "timed==1.0" in _compile(server, env, "timed", "--exclude-newer", stamp)


def test_uv_resolving_many_versions_downloads_no_wheel(
    server: served.Served, env: dict[str, str], tmp_path: Path
) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    wheels = {build_wheel(dist, "many", f"1.{n}").name for n in range(MANY_VERSIONS)}
    command = [served.tool("aws"), "s3", "cp", "--recursive", "--endpoint-url"]
    served.run([*command, server.s3_endpoint, str(dist), f"s3://{server.bucket}/many/"], env)
    server.wait_listed("many", wheels)
    before = len(server.access_lines(settle=0.3))
    assert "many==1.13" in _compile(server, env, "many<1.14,>1.2")
    requested = [
        re.search(r'"(?:GET|HEAD) (\S+) ', line) for line in server.access_lines()[before:]
    ]
    paths = [m.group(1) for m in requested if m]
    assert paths, "uv made no request to the index"
    assert any(p.endswith(".whl.metadata") for p in paths)
    for path in paths:
        assert path.endswith((".metadata", "/")), f"uv fetched {path}"


@pytest.mark.parametrize("client", ["pip", "uv"])
def test_pip_and_uv_get_the_json_page_gzipped(
    server: served.Served, env: dict[str, str], hello: dict[str, Path], tmp_path: Path, client: str
) -> None:
    """Their real requests reach the page's gzip variant (the access log names the key)."""
    server.wait_listed(PROJECT, {p.name for p in hello.values()})
    before = len(server.access_lines(settle=0.3))
    if client == "pip":
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--index-url"]
        served.run([*command, server.index_url, "-d", str(tmp_path), "hello-world==1.0"], env)
    else:
        # --no-cache: an earlier test's page may still be fresh in uv's cache (max-age=10)
        assert "hello-world==1.0" in _compile(server, env, "hello-world==1.0", "--no-cache")
    pages = [
        line for line in server.access_lines(settle=0.3)[before:] if '"GET /hello-world/ ' in line
    ]
    assert pages, f"{client} did not read the project page"
    for line in pages:
        assert line.endswith(' "hello-world/index.json.gz"'), line
