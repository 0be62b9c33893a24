"""Real twine, uv publish and poetry publish against one `pyshelf serve` (the legacy upload API
at /-/upload/, docs/publish.md): each uploads a wheel and an sdist that pip then installs, and
each shows the index's reason for every refusal.

twine and poetry live in .venv-publishers (make .venv-publishers/.installed); uv comes with the
dev extra."""

from __future__ import annotations

import http.client
import io
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from distbuild import metadata_text, wheel

from local import served
from local.dists import build_wheel
from pyshelf.core.upload_grant import BAD_TOKEN, MAX_UPLOAD_BYTES, TOO_LARGE

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[2]
PUBLISHERS = REPO / ".venv-publishers" / "bin"
CLIENTS = ("twine", "uv", "poetry")
UPLOAD_PATH = "-/upload/"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# A zip comment: raw bytes at the end of the wheel, which the in-transit proxy below alters.
TRANSIT_MARKER = b"pyshelf-transit-marker"


def _publisher(name: str) -> str:
    path = PUBLISHERS / name
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make .venv-publishers/.installed`")
    return str(path)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[served.Served]:
    yield from served.serving(tmp_path_factory.mktemp("serve"))


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    home = tmp_path_factory.mktemp("home")
    env = served.client_env(home)
    env.update(
        {
            "COLUMNS": "400",  # twine wraps its messages at the terminal's width
            "NO_COLOR": "1",
            "POETRY_CONFIG_DIR": str(home / "poetry-config"),
            "POETRY_CACHE_DIR": str(home / "poetry-cache"),
            "POETRY_DATA_DIR": str(home / "poetry-data"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        }
    )
    return env


def _create_token(server: served.Served, env: dict[str, str], name: str, *args: str) -> str:
    command = [sys.executable, "-m", "pyshelf.cli", "token", "create", name, *args]
    command += ["--endpoint-url", server.s3_endpoint, "--index-url", server.index_url]
    output = served.run(command, env).stdout
    [token] = [line.strip() for line in output.splitlines() if line.startswith("  pyshelf_")]
    return token


@pytest.fixture(scope="module")
def tokens(server: served.Served, env: dict[str, str]) -> dict[str, str]:
    return {
        "upload": _create_token(server, env, "publish", "--scope", "upload"),
        "acme": _create_token(server, env, "acme", "--scope", "upload", "--project", "acme-*"),
        "read": _create_token(server, env, "reader"),
    }


def _upload_url(server: served.Served) -> str:
    return server.index_url + UPLOAD_PATH


@dataclass(frozen=True)
class Upload:
    """One client run: the files (of one project and version), where, with which token."""

    files: list[Path]
    token: str
    url: str
    work: Path  # poetry's project directory goes here


def publish(client: str, upload: Upload, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Upload with the real client; not checked."""
    files = [str(path) for path in upload.files]
    if client == "twine":
        command = [_publisher("twine"), "upload", "--repository-url", upload.url]
        command += ["-u", "__token__", "-p", upload.token, "--non-interactive"]
        command += ["--disable-progress-bar", *files]
    elif client == "uv":
        command = [served.tool("uv"), "publish", "--publish-url", upload.url]
        command += ["--token", upload.token, "--trusted-publishing", "never", *files]
    else:
        return _poetry_publish(upload, env)
    return subprocess.run(
        command, check=False, env=env, capture_output=True, text=True, timeout=120
    )


def _poetry_project(directory: Path, name: str, version: str) -> Path:
    """A project poetry can build and publish (poetry-core is its build backend)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "{version}"\ndescription = "test"\n'
        '[build-system]\nrequires = ["poetry-core>=2"]\n'
        'build-backend = "poetry.core.masonry.api"\n'
    )
    return directory


def _poetry_publish(upload: Upload, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """poetry publishes the files in dist/ whose names match its pyproject's name and
    version: a pyproject is written for the files' project."""
    name, version = upload.files[0].name.split("-")[:2]
    project = _poetry_project(upload.work / f"poetry-{name}-{version}", name, version)
    (project / "dist").mkdir()
    for path in upload.files:
        shutil.copy(path, project / "dist" / path.name)
    poetry_env = env | {
        "POETRY_REPOSITORIES_PYSHELF_URL": upload.url,
        "POETRY_HTTP_BASIC_PYSHELF_USERNAME": "__token__",
        "POETRY_HTTP_BASIC_PYSHELF_PASSWORD": upload.token,
    }
    command = [_publisher("poetry"), "publish", "-r", "pyshelf", "--no-interaction"]
    return subprocess.run(
        command,
        check=False,
        env=poetry_env,
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _poetry_build(directory: Path, name: str, env: dict[str, str]) -> list[Path]:
    """A real wheel and sdist of `name` 1.0, built by poetry (module `<name>_mod`)."""
    project = _poetry_project(directory, name, "1.0")
    module = project / (name.replace("-", "_") + "_mod")
    module.mkdir()
    (module / "__init__.py").write_text('VERSION = "1.0"\n')
    with (project / "pyproject.toml").open("a") as pyproject:
        pyproject.write(f'[tool.poetry]\npackages = [{{ include = "{module.name}" }}]\n')
    served.run([_publisher("poetry"), "build", "--no-interaction"], env, cwd=project)
    return sorted((project / "dist").iterdir())


def said(result: subprocess.CompletedProcess[str]) -> str:
    """What the client printed, colours removed and whitespace runs joined."""
    return " ".join(ANSI.sub("", result.stdout + result.stderr).split())


def _refused(result: subprocess.CompletedProcess[str], status: str, reason: str) -> None:
    text = said(result)
    assert result.returncode != 0, text
    assert status in text, text
    assert " ".join(reason.split()) in text, text


@pytest.mark.parametrize("client", CLIENTS)
def test_a_wheel_and_an_sdist_are_published_and_installable(
    client: str,
    server: served.Served,
    env: dict[str, str],
    tokens: dict[str, str],
    tmp_path: Path,
) -> None:
    name = f"pub-{client}"
    files = _poetry_build(tmp_path / "project", name, env)
    assert [path.suffix for path in files] == [".whl", ".gz"]
    result = publish(client, Upload(files, tokens["upload"], _upload_url(server), tmp_path), env)
    assert result.returncode == 0, said(result)
    server.wait_listed(name, {path.name for path in files})
    # pip installs each file: the wheel, then the sdist (built without an index by poetry-core,
    # which the publishers' environment has).
    pip = [str(PUBLISHERS / "python"), "-m", "pip", "install", "--no-deps", "--no-build-isolation"]
    for how, flag in (("wheel", "--only-binary=:all:"), ("sdist", "--no-binary=:all:")):
        target = tmp_path / f"from-{how}"
        command = [*pip, flag, "--index-url", server.index_url, "--target", str(target)]
        output = served.run([*command, f"{name}==1.0"], env).stdout
        assert ("Building wheel" in output) == (how == "sdist"), output
        module = target / (name.replace("-", "_") + "_mod") / "__init__.py"
        assert module.read_text() == 'VERSION = "1.0"\n'
    # The same bytes again: a success, as PyPI's --skip-existing.
    again = Upload(files, tokens["upload"], _upload_url(server), tmp_path / "again")
    result = publish(client, again, env)
    assert result.returncode == 0, said(result)


@pytest.mark.parametrize("client", CLIENTS)
def test_a_wrong_token_is_refused(
    client: str, server: served.Served, env: dict[str, str], tmp_path: Path
) -> None:
    files = [build_wheel(tmp_path, f"wrong-{client}", "1.0")]
    result = publish(
        client, Upload(files, "pyshelf_not-a-token", _upload_url(server), tmp_path), env
    )
    _refused(result, "403", BAD_TOKEN)


@pytest.mark.parametrize("client", CLIENTS)
def test_a_read_token_cannot_upload(
    client: str, server: served.Served, env: dict[str, str], tokens: dict[str, str], tmp_path: Path
) -> None:
    files = [build_wheel(tmp_path, f"reader-{client}", "1.0")]
    result = publish(client, Upload(files, tokens["read"], _upload_url(server), tmp_path), env)
    _refused(result, "403", BAD_TOKEN)


@pytest.mark.parametrize("client", CLIENTS)
def test_a_token_outside_its_project_scope_is_refused(
    client: str, server: served.Served, env: dict[str, str], tokens: dict[str, str], tmp_path: Path
) -> None:
    inside = [build_wheel(tmp_path, f"acme-{client}", "1.0")]
    result = publish(
        client, Upload(inside, tokens["acme"], _upload_url(server), tmp_path / "in"), env
    )
    assert result.returncode == 0, said(result)
    outside = [build_wheel(tmp_path, f"other-{client}", "1.0")]
    result = publish(
        client, Upload(outside, tokens["acme"], _upload_url(server), tmp_path / "out"), env
    )
    _refused(result, "403", f"Token 'acme' may not upload to project 'other-{client}'")


@pytest.mark.parametrize("client", CLIENTS)
def test_a_taken_name_with_other_bytes_is_refused(
    client: str, server: served.Served, env: dict[str, str], tokens: dict[str, str], tmp_path: Path
) -> None:
    name = f"taken-{client}"
    first = build_wheel(tmp_path, name, "1.0")
    result = publish(
        client, Upload([first], tokens["upload"], _upload_url(server), tmp_path / "a"), env
    )
    assert result.returncode == 0, said(result)
    other = tmp_path / "other" / first.name
    other.parent.mkdir()
    other.write_bytes(wheel(name, "1.0", module="something_else"))
    result = publish(
        client, Upload([other], tokens["upload"], _upload_url(server), tmp_path / "b"), env
    )
    _refused(result, "400", f"File already exists ({first.name}) with other content")


@pytest.mark.parametrize("client", CLIENTS)
def test_a_corrupt_file_is_refused(
    client: str, server: served.Served, env: dict[str, str], tokens: dict[str, str], tmp_path: Path
) -> None:
    """A wheel whose METADATA reads fine (the clients read it) but whose module's bytes were
    damaged: the index reads every member (their CRCs), as `pyshelf upload` does."""
    name = f"corrupt-{client}"
    path = tmp_path / f"corrupt_{client}-1.0-py3-none-any.whl"
    damaged = bytearray(wheel(name, "1.0"))
    member = f"corrupt_{client}/__init__.py".encode()
    start = damaged.index(member) + len(member) + 2  # past the local header's name
    damaged[start] ^= 0xFF
    path.write_bytes(bytes(damaged))
    result = publish(client, Upload([path], tokens["upload"], _upload_url(server), tmp_path), env)
    _refused(result, "400", f"Bad CRC-32 for file 'corrupt_{client}/__init__.py'")


@pytest.mark.parametrize("client", CLIENTS)
def test_metadata_that_disagrees_with_the_file_is_refused(
    client: str, server: served.Served, env: dict[str, str], tokens: dict[str, str], tmp_path: Path
) -> None:
    name = f"meta-{client}"
    path = tmp_path / f"meta_{client}-1.0-py3-none-any.whl"
    path.write_bytes(wheel(name, "1.0", metadata=metadata_text(name, "2.0")))
    result = publish(client, Upload([path], tokens["upload"], _upload_url(server), tmp_path), env)
    _refused(result, "400", "METADATA has version 2.0, the filename 1.0")


@pytest.mark.parametrize("client", CLIENTS)
def test_a_file_over_the_limit_is_refused_at_the_edge(
    client: str, server: served.Served, env: dict[str, str], tokens: dict[str, str], tmp_path: Path
) -> None:
    name = f"big-{client}"
    path = tmp_path / f"big_{client}-1.0-py3-none-any.whl"
    path.write_bytes(_with_member(wheel(name, "1.0"), "big/blob.bin", os.urandom(MAX_UPLOAD_BYTES)))
    result = publish(client, Upload([path], tokens["upload"], _upload_url(server), tmp_path), env)
    _refused(result, "413", TOO_LARGE)


@pytest.mark.parametrize("client", CLIENTS)
def test_bytes_changed_in_transit_fail_the_sha256_check(
    client: str,
    env: dict[str, str],
    tokens: dict[str, str],
    tmp_path: Path,
    altering_proxy: str,
) -> None:
    """The client hashes the file it sends; a proxy on the way alters the file's last bytes
    (its zip comment, so the archive still reads): the sha256_digest no longer matches."""
    name = f"transit-{client}"
    path = tmp_path / f"transit_{client}-1.0-py3-none-any.whl"
    path.write_bytes(_with_comment(wheel(name, "1.0"), TRANSIT_MARKER))
    result = publish(
        client, Upload([path], tokens["upload"], altering_proxy + UPLOAD_PATH, tmp_path), env
    )
    _refused(result, "400", "The sha256_digest sent does not match the file's content")


def _with_member(data: bytes, member: str, content: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr(member, content)  # stored: random bytes do not compress
    return buffer.getvalue()


def _with_comment(data: bytes, comment: bytes) -> bytes:
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.comment = comment
    return buffer.getvalue()


@pytest.fixture(scope="module")
def altering_proxy(server: served.Served) -> Iterator[str]:
    """An HTTP proxy in front of the index that swaps TRANSIT_MARKER for bytes of the same
    length in every request body (Content-Length stays right)."""
    origin = urlsplit(server.index_url)
    handler = _altering_handler(origin.hostname or "", origin.port or 80)
    proxy = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=proxy.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield f"http://127.0.0.1:{proxy.server_address[1]}/"
    finally:
        proxy.shutdown()
        thread.join()
        proxy.server_close()


def _altering_handler(host: str, port: int) -> Callable[..., BaseHTTPRequestHandler]:
    class Altering(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            body = body.replace(TRANSIT_MARKER, TRANSIT_MARKER.upper())
            headers = {name: value for name, value in self.headers.items()}
            connection = http.client.HTTPConnection(host, port, timeout=30)
            try:
                connection.request("POST", self.path, body=body, headers=headers)
                response = connection.getresponse()
                answer = response.read()
            finally:
                connection.close()
            self.send_response(response.status, response.reason)
            self.send_header("Content-Type", response.getheader("Content-Type") or "text/plain")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    return Altering
