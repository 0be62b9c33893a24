"""One `pyshelf serve` subprocess, hardened: a misplaced upload over 8 MiB (multipart) is moved
and downloads; what a web page could send to the emulator is refused while awscli works; the
CDN sends the security headers; `pyshelf upload` refuses a file the index would not list and
says when the index will list one without metadata."""

from __future__ import annotations

import base64
import hashlib
import io
import random
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from distbuild import wheel
from hostile_archives import wheel_large_metadata

from local import served
from pyshelf.local import aws

pytestmark = pytest.mark.e2e
MiB = 1024 * 1024
Completed = subprocess.CompletedProcess[str]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[served.Served]:
    yield from served.serving(tmp_path_factory.mktemp("serve"))


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    return served.client_env(tmp_path_factory.mktemp("home"))


def _big_wheel(directory: Path, size: int) -> Path:
    """A wheel of big-file 1.0 with an incompressible member of `size` bytes (RECORD kept)."""
    small = zipfile.ZipFile(io.BytesIO(wheel("big-file", "1.0")))
    members = {name: small.read(name) for name in small.namelist()}
    record_name = next(name for name in members if name.endswith("/RECORD"))
    members["big_file/blob.bin"] = random.Random(size).randbytes(size)
    members[record_name] = _record(members, record_name)
    path = directory / "big_file-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _record(members: dict[str, bytes], record_name: str) -> bytes:
    lines = []
    for name, data in members.items():
        if name == record_name:
            continue
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        lines.append(f"{name},sha256={digest},{len(data)}")
    lines.append(f"{record_name},,")
    return ("\n".join(lines) + "\n").encode()


def test_a_misplaced_upload_over_8_mib_is_moved_and_downloads(
    server: served.Served, env: dict[str, str], tmp_path: Path
) -> None:
    """`aws s3 cp` sends it in two parts (8 MiB chunks) with a composite checksum; the indexer
    copies it under its project, then reads the copy (moto_compat keeps that possible)."""
    path = _big_wheel(tmp_path, 9 * MiB)
    aws_cp = [served.tool("aws"), "s3", "cp", "--endpoint-url", server.s3_endpoint]
    served.run([*aws_cp, str(path), f"s3://{server.bucket}/"], env)
    page = server.wait_listed("big-file", {path.name})
    (listed,) = page["files"]
    assert listed["hashes"]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert listed["core-metadata"]  # the copy was read and inspected
    keys = aws.s3_client(server.s3_endpoint).list_objects_v2(Bucket=server.bucket)["Contents"]
    assert path.name not in {o["Key"] for o in keys}  # moved out of the bucket root
    out = tmp_path / "out"
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:"]
    served.run([*pip, "--index-url", server.index_url, "-d", str(out), "big-file==1.0"], env)
    assert (out / path.name).read_bytes() == path.read_bytes()


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_a_web_page_can_neither_wipe_nor_write(server: served.Served, env: dict[str, str]) -> None:
    s3 = aws.s3_client(server.s3_endpoint)
    s3.put_object(Bucket=server.bucket, Key="kept/kept-1.0.tar.gz", Body=b"x")
    status, body = _post(f"{server.s3_endpoint}/moto-api/reset", b"", {})
    assert (status, body) == (404, "pyshelf serve: moto's own API (/moto-api/) is not served\n")
    form = (
        b'--b\r\nContent-Disposition: form-data; name="key"\r\n\r\nplanted-1.0.tar.gz\r\n'
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="x"\r\n\r\nx\r\n--b--\r\n'
    )
    headers = {"Origin": "http://evil.example", "Content-Type": "multipart/form-data; boundary=b"}
    assert _post(f"{server.s3_endpoint}/{server.bucket}", form, headers)[0] == 403
    del headers["Origin"]
    assert _post(f"{server.s3_endpoint}/{server.bucket}", form, headers)[0] == 403  # unsigned
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=server.bucket)["Contents"]}
    assert "kept/kept-1.0.tar.gz" in keys
    assert "planted-1.0.tar.gz" not in keys


def test_pages_and_files_carry_the_security_headers(server: served.Served) -> None:
    with urllib.request.urlopen(server.index_url, timeout=10) as response:
        headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert csp.startswith("default-src 'none'; script-src 'self'; style-src 'self'")
    assert "unsafe-inline" not in csp
    assert (headers["X-Content-Type-Options"], headers["X-Frame-Options"]) == ("nosniff", "DENY")
    assert headers["Referrer-Policy"] == "no-referrer"


def _upload(server: served.Served, env: dict[str, str], path: Path) -> Completed:
    command = [sys.executable, "-m", "pyshelf.cli", "upload", "--bucket", server.bucket]
    command += ["--endpoint-url", server.s3_endpoint, str(path)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=99, check=False)


def test_upload_says_when_the_index_will_list_a_file_without_metadata(
    server: served.Served, env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "bomb-1.0-py3-none-any.whl"
    path.write_bytes(wheel_large_metadata(20 * MiB))
    result = _upload(server, env, path)
    assert result.returncode == 0, result.stderr
    assert (
        f"{path}: the index will list it without metadata: "
        "limit reached: a metadata file larger than 16 MiB"
    ) in result.stderr.splitlines()
    (listed,) = server.wait_listed("bomb", {path.name})["files"]
    assert (listed["core-metadata"], listed.get("requires-python")) == (False, None)


def test_upload_refuses_a_file_the_index_would_not_list(
    server: served.Served, env: dict[str, str], tmp_path: Path
) -> None:
    path = tmp_path / "junk-1.0.tar.gz"
    path.write_bytes(b"BZh91AY&SY" + bytes(100))  # bz2 under a .tar.gz name
    result = _upload(server, env, path)
    assert result.returncode == 3
    assert result.stderr == (
        f"Error: {path}: unreadable sdist: not gzip-compressed, as its suffix .tar.gz says "
        "(nothing was uploaded)\n"
    )
