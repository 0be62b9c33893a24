"""`pyshelf upload` against an in-process moto bucket."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from distbuild import wheel

from cli.helpers import BUCKET, Run, indexing, publish, write_sdist, write_wheel
from pyshelf.storage.s3 import S3Store


def _keys(s3: Any) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])]


def _body(s3: Any, key: str) -> bytes:
    data: bytes = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    return data


def test_upload_files_each_distribution_with_headers_and_sha256(
    run: Run, s3: Any, tmp_path: Path
) -> None:
    whl = write_wheel(tmp_path, "Demo.Pkg", "1.0")
    tgz = write_sdist(tmp_path, "demo-pkg", "1.0")
    result = run("upload", str(whl), str(tgz))
    assert result.exit_code == 0, result.output
    assert sorted(_keys(s3)) == sorted([f"demo-pkg/{tgz.name}", f"demo-pkg/{whl.name}"])
    head = s3.head_object(Bucket=BUCKET, Key=f"demo-pkg/{whl.name}")
    assert head["ContentType"] == "application/zip"
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    assert head["Metadata"]["sha256"] == hashlib.sha256(whl.read_bytes()).hexdigest()
    sdist_head = s3.head_object(Bucket=BUCKET, Key=f"demo-pkg/{tgz.name}")
    assert sdist_head["ContentType"] == "application/octet-stream"
    assert "ContentEncoding" not in sdist_head
    assert f"uploaded: s3://{BUCKET}/demo-pkg/{whl.name}" in result.stdout


def test_one_invalid_file_means_nothing_is_uploaded(run: Run, s3: Any, tmp_path: Path) -> None:
    good = write_wheel(tmp_path, "demo", "1.0")
    liar = tmp_path / "demo-2.0-py3-none-any.whl"
    liar.write_bytes(wheel("demo", "3.0"))
    junk = tmp_path / "demo-1.0.tar.gz"
    junk.write_bytes(b"not gzip")
    result = run("upload", str(good), str(liar), str(junk))
    assert result.exit_code == 3
    assert _keys(s3) == []
    lines = result.stderr.splitlines()
    assert f"invalid: {liar}: METADATA has version 3.0, the filename 2.0" in lines
    assert any(line.startswith(f"invalid: {junk}: unreadable sdist") for line in lines)
    assert lines[-1] == "Error: 2 invalid file(s); nothing was uploaded"
    assert "Traceback" not in result.output


def test_the_same_file_again_is_skipped(run: Run, s3: Any, tmp_path: Path) -> None:
    whl = write_wheel(tmp_path, "demo", "1.0")
    assert run("upload", str(whl)).exit_code == 0
    version = s3.head_object(Bucket=BUCKET, Key=f"demo/{whl.name}")["VersionId"]
    result = run("upload", str(whl))
    assert result.exit_code == 0
    assert "skipped:" in result.stdout and "already there with the same sha256" in result.stdout
    assert s3.head_object(Bucket=BUCKET, Key=f"demo/{whl.name}")["VersionId"] == version


def test_other_bytes_under_an_existing_name_are_refused(run: Run, s3: Any, tmp_path: Path) -> None:
    whl = write_wheel(tmp_path, "demo", "1.0")
    original = whl.read_bytes()
    new = tmp_path / "new"
    new.mkdir()
    fresh = write_wheel(new, "demo", "2.0")
    assert run("upload", str(whl)).exit_code == 0
    whl.write_bytes(wheel("demo", "1.0", module="changed"))
    result = run("upload", str(fresh), str(whl))
    assert result.exit_code == 4
    assert "holds other bytes" in result.stderr
    assert result.stderr.splitlines()[-1] == (
        "Error: 1 file(s) already exist with different bytes; nothing was overwritten: publish "
        "a new version instead (--overwrite replaces the bytes, which breaks hash-pinned "
        "lockfiles and the caches that hold the old ones)"
    )
    assert _body(s3, f"demo/{whl.name}") == original
    assert f"demo/{fresh.name}" not in _keys(s3), "a conflict stops the whole upload"


def test_overwrite_replaces_other_bytes(run: Run, s3: Any, tmp_path: Path) -> None:
    whl = write_wheel(tmp_path, "demo", "1.0")
    assert run("upload", str(whl)).exit_code == 0
    whl.write_bytes(wheel("demo", "1.0", module="changed"))
    result = run("upload", "--overwrite", str(whl))
    assert result.exit_code == 0, result.output
    assert "overwrote:" in result.stdout
    assert _body(s3, f"demo/{whl.name}") == whl.read_bytes()


def test_dry_run_changes_nothing_and_says_what_would_happen(
    run: Run, s3: Any, tmp_path: Path
) -> None:
    old = write_wheel(tmp_path, "demo", "1.0")
    assert run("upload", str(old)).exit_code == 0
    new = write_sdist(tmp_path, "demo", "1.0")
    result = run("upload", "--dry-run", str(old), str(new))
    assert result.exit_code == 0
    assert f"would skip: s3://{BUCKET}/demo/{old.name}" in result.stdout
    assert f"would upload: s3://{BUCKET}/demo/{new.name}" in result.stdout
    assert _keys(s3) == [f"demo/{old.name}"]


def test_dry_run_still_reports_conflicts(run: Run, s3: Any, tmp_path: Path) -> None:
    whl = write_wheel(tmp_path, "demo", "1.0")
    assert run("upload", str(whl)).exit_code == 0
    whl.write_bytes(wheel("demo", "1.0", module="changed"))
    assert run("upload", "--dry-run", str(whl)).exit_code == 4
    other = write_wheel(tmp_path, "demo", "2.0")
    result = run("upload", "--dry-run", str(whl), str(other))
    assert result.exit_code == 4
    assert f"would upload: s3://{BUCKET}/demo/{other.name}" in result.stdout  # the whole plan
    assert "conflict:" in result.stderr


def test_files_uploaded_by_other_means_compare_by_the_published_hash(
    run: Run, s3: Any, shelf: S3Store, tmp_path: Path
) -> None:
    whl = write_wheel(tmp_path, "demo", "1.0")
    s3.put_object(Bucket=BUCKET, Key=f"demo/{whl.name}", Body=whl.read_bytes())  # aws s3 cp
    publish(shelf)
    assert run("upload", str(whl)).exit_code == 0
    whl.write_bytes(wheel("demo", "1.0", module="changed"))
    assert run("upload", str(whl)).exit_code == 4


def test_files_not_yet_indexed_and_without_metadata_are_read_to_compare(
    run: Run, s3: Any, tmp_path: Path
) -> None:
    whl = write_wheel(tmp_path, "demo", "1.0")
    s3.put_object(Bucket=BUCKET, Key=f"demo/{whl.name}", Body=whl.read_bytes())
    result = run("upload", str(whl))
    assert result.exit_code == 0
    assert "skipped:" in result.stdout


def test_wait_polls_the_bucket_pages_until_the_files_are_listed(
    run: Run, shelf: S3Store, tmp_path: Path
) -> None:
    whl = write_wheel(tmp_path, "demo", "1.0")
    with indexing(shelf):
        result = run("upload", "--wait", "--interval", "0.1", "--timeout", "20", str(whl))
    assert result.exit_code == 0, result.output
    assert "indexed: 1 file(s) listed with their sha256" in result.stdout
    assert "pip install --index-url <your index URL> demo" in result.stdout


def test_wait_times_out_when_nothing_indexes(run: Run, tmp_path: Path) -> None:
    whl = write_wheel(tmp_path, "demo", "1.0")
    result = run("upload", "--wait", "--interval", "0.05", "--timeout", "0.3", str(whl))
    assert result.exit_code == 5
    assert f"Error: timed out after 0.3s; not listed yet: {whl.name}" in result.stderr


def test_a_failure_mid_way_says_which_files_made_it(
    run: Run, s3: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from botocore.exceptions import ClientError  # noqa: PLC0415

    from pyshelf.publish.transfer import Uploader  # noqa: PLC0415

    first, second, third = (write_wheel(tmp_path, name, "1.0") for name in ("aaa", "bbb", "ccc"))
    real_send = Uploader.send

    def send(self: Uploader, planned: Any, advance: Any) -> Any:
        if planned.local.filename == second.name:
            error: Any = {"Error": {"Code": "InternalError", "Message": "We encountered an error"}}
            raise ClientError(error, "PutObject")
        return real_send(self, planned, advance)

    monkeypatch.setattr(Uploader, "send", send)
    result = run("upload", str(first), str(second), str(third))
    assert result.exit_code != 0
    assert _keys(s3) == [f"aaa/{first.name}"]
    assert f"uploaded: s3://{BUCKET}/aaa/{first.name}" in result.stdout
    lines = result.stderr.splitlines()
    assert f"not uploaded: s3://{BUCKET}/bbb/{second.name}" in lines
    assert f"not uploaded: s3://{BUCKET}/ccc/{third.name}" in lines
    assert any(line.startswith("upload stopped: 2 file(s) not uploaded") for line in lines)


def test_names_the_index_could_not_serve_are_refused(
    run: Run, s3: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from pyshelf.core import layout  # noqa: PLC0415

    good = write_wheel(tmp_path, "demo", "1.0")
    odd = tmp_path / "..-1.0.tar.gz"
    odd.write_bytes(b"whatever")
    # A filename short enough for a local filesystem (255 bytes) always fits S3's 1,024; a
    # smaller limit shows the check is made, with the indexer's own rule.
    long = write_wheel(tmp_path, "a" * 20, "1.0")
    monkeypatch.setattr(layout, "MAX_KEY_BYTES", 60)
    result = run("upload", str(good), str(odd), str(long))
    assert result.exit_code == 3, result.output
    assert _keys(s3) == []
    lines = result.stderr.splitlines()
    assert f"invalid: {odd}: '..' is not a valid project name" in lines
    assert any(
        line.startswith(f"invalid: {long}: too long:") and "(S3 allows 60)" in line
        for line in lines
    )
