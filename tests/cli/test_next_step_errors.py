"""Errors that say what to do next (issue 13): each is one exact line on stderr with its exit
code. (Also here: the conflict, no-target and unknown-project lines are asserted in
test_upload.py, test_target.py and test_reindex.py; the port lines in local/test_e2e_data.py.)"""

from __future__ import annotations

import gzip
import re
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cli.helpers import BUCKET, Run, invoke, write_wheel
from pyshelf.cli import main
from pyshelf.core.bucket_names import RULE

SRC = Path(__file__).resolve().parents[2] / "src" / "pyshelf"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def _keys(s3: Any) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def test_a_bucket_alone_that_cannot_be_reached_names_the_endpoint_and_endpoint_url(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --endpoint-url the bucket is looked for at AWS (here the AWS endpoint is made a
    closed local port, as no test may reach AWS)."""
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", endpoint)
    result = invoke("list", "--bucket", "pyshelf")
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: cannot reach bucket 'pyshelf' at {endpoint}/pyshelf (AWS, no --endpoint-url "
        "given): for a local index pass --endpoint-url URL (PYSHELF_ENDPOINT_URL), "
        "`pyshelf serve`'s S3 endpoint\n",
    )


def test_an_endpoint_url_that_cannot_be_reached(aws_env: None) -> None:
    endpoint = f"http://127.0.0.1:{_closed_port()}"
    result = invoke("list", "--bucket", "pyshelf", "--endpoint-url", endpoint)
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: cannot reach {endpoint} (--endpoint-url): is it running? "
        "(`pyshelf serve` prints its S3 endpoint)\n",
    )


class _S3Like(BaseHTTPRequestHandler):
    """What `pyshelf serve`'s S3 port answers an unsigned GET with."""

    def do_GET(self) -> None:
        body = b"an unsigned request is refused\n"
        self.send_response(403)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def not_an_index() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _S3Like)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_wait_on_something_that_is_not_an_index_fails_at_once(
    run: Run, s3: Any, tmp_path: Path, not_an_index: str
) -> None:
    whl = write_wheel(tmp_path, "demo", "1.0")
    result = run("upload", "--index-url", not_an_index, "--wait", str(whl))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {not_an_index} does not answer as a package index (HTTP 403, text/plain): "
        "check --index-url (PYSHELF_INDEX_URL); it is the index URL, not the S3 endpoint\n",
    )
    assert _keys(s3) == [], "nothing is uploaded when --wait cannot work"


def test_wait_on_a_refused_connection_fails_at_once(run: Run, s3: Any, tmp_path: Path) -> None:
    index = f"http://127.0.0.1:{_closed_port()}/"
    whl = write_wheel(tmp_path, "demo", "1.0")
    result = run("upload", "--index-url", index, "--wait", "--timeout", "600", str(whl))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: cannot reach the index at {index} (Connection refused): "
        "check --index-url (PYSHELF_INDEX_URL)\n",
    )


def _empty_tar_gz(folder: Path) -> Path:
    path = folder / "demo-1.0.tar.gz"
    path.write_bytes(gzip.compress(b""))
    return path


def test_an_empty_tar_gz_is_one_line(run: Run, s3: Any, tmp_path: Path) -> None:
    empty = _empty_tar_gz(tmp_path)
    result = run("upload", str(empty))
    assert (result.exit_code, result.stdout, result.stderr) == (
        3,
        "",
        f"Error: {empty}: unreadable sdist: an empty archive (nothing was uploaded)\n",
    )


def test_verbose_lists_each_invalid_file_by_its_full_path(
    run: Run, s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _empty_tar_gz(tmp_path)
    result = run("upload", "-v", "demo-1.0.tar.gz")
    assert result.exit_code == 3
    assert result.stderr.splitlines() == [
        f"invalid: {tmp_path.resolve()}/demo-1.0.tar.gz: unreadable sdist: an empty archive",
        "Error: 1 invalid file(s); nothing was uploaded",
    ]


def test_a_pattern_that_matched_nothing_is_a_usage_error(run: Run, tmp_path: Path) -> None:
    pattern = str(tmp_path / "dist" / "*")
    result = run("upload", pattern)
    assert (result.exit_code, result.stderr) == (
        2,
        f"Error: no such file: {pattern} (a pattern that matched nothing?)\n",
    )
    missing = str(tmp_path / "demo-1.0.tar.gz")
    result = run("upload", missing)
    assert (result.exit_code, result.stderr) == (2, f"Error: no such file: {missing}\n")


@pytest.mark.parametrize(
    "command",
    [
        ["serve"],
        ["upload", __file__],
        ["list"],
        ["delete", "--yes", "foo"],
        ["yank", "foo", "1.0"],
        ["reindex", "--all"],
        ["release-name", "foo"],
    ],
    ids=lambda c: c[0],
)
def test_every_bucket_option_checks_the_name_first(aws_env: None, command: list[str]) -> None:
    """`rp`: the name S3's CreateBucket refused with a traceback before; nothing is called."""
    result = invoke(*command[:1], "--bucket", "rp", *command[1:])
    assert (result.exit_code, result.stderr) == (2, f"Error: invalid bucket name 'rp': {RULE}\n")


def test_a_bucket_name_from_the_environment_is_checked_too(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYSHELF_BUCKET", "s3://My_Bucket")
    result = invoke("list")
    assert (result.exit_code, result.stderr) == (
        2,
        f"Error: invalid bucket name 'My_Bucket': {RULE}\n",
    )


def test_delete_without_a_terminal_says_pass_yes(
    run: Run, s3: Any, shelf: Any, tmp_path: Path
) -> None:
    whl = write_wheel(tmp_path, "demo", "1.0")
    assert run("upload", str(whl)).exit_code == 0
    result = run("delete", "demo", "1.0")  # stdin: empty, not a terminal
    assert (result.exit_code, result.stderr) == (
        2,
        "Error: no answer to 'Delete them?': stdin is not a terminal; pass --yes\n",
    )
    assert _keys(s3) == [f"demo/{whl.name}"]


def test_help_lists_every_pyshelf_variable_the_code_reads() -> None:
    used = {
        name
        for path in SRC.rglob("*.py")
        for name in re.findall(r"\bPYSHELF_[A-Z_]+[A-Z]\b", path.read_text())
        if name not in {"PYSHELF_RACE_SEEDS"}
    }
    assert {"PYSHELF_TARGET", "PYSHELF_CONFIG", "PYSHELF_TOKEN", "PYSHELF_KVS_ARN"} <= used
    text = invoke("--help").stdout
    listed = set(re.findall(r"^ +(PYSHELF_[A-Z_]+) ", text, re.MULTILINE))
    assert used == listed
    assert main.epilog is not None and "PYSHELF_*" not in main.epilog
