"""`pyshelf restore`: deleted files back from the versioned bucket (in-process moto), listed
again with the same sha256 once the indexer has run; a name another file holds is refused."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from cli.helpers import BUCKET, Run, publish, write_sdist, write_wheel
from pyshelf.publish.index_reader import BucketIndex
from pyshelf.storage.s3 import S3Store


def _listed(shelf: S3Store, project: str) -> dict[str, tuple[str | None, str | None]]:
    """filename → (sha256, yank reason) on the published page, after the indexer has run."""
    publish(shelf)
    page = BucketIndex(shelf).project(project)  # type: ignore[arg-type]
    return {f.filename: (f.sha256, f.yanked) for f in page.files} if page else {}


@pytest.fixture
def released(run: Run, shelf: S3Store, tmp_path: Path) -> dict[str, tuple[str | None, str | None]]:
    """demo 1.0 (a wheel and a sdist, yanked) and demo 2.0, published."""
    files = [write_wheel(tmp_path, "demo", "1.0"), write_sdist(tmp_path, "demo", "1.0")]
    files.append(write_wheel(tmp_path, "demo", "2.0"))
    assert run("upload", *map(str, files)).exit_code == 0
    assert run("yank", "demo", "1.0", "--reason", "broken").exit_code == 0
    return _listed(shelf, "demo")


WHEEL, SDIST = "demo-1.0-py3-none-any.whl", "demo-1.0.tar.gz"


def test_delete_then_restore_a_release_with_its_yank_record(
    run: Run, shelf: S3Store, released: dict[str, tuple[str | None, str | None]]
) -> None:
    assert released[WHEEL][1] == "broken"
    deleted = run("delete", "--yes", "demo", "1.0")
    assert "removed the yank record of demo 1.0" in deleted.stdout
    assert set(_listed(shelf, "demo")) == {"demo-2.0-py3-none-any.whl"}

    listing = run("restore", "demo", "--list")
    assert listing.exit_code == 0, listing.output
    rows = listing.stdout.splitlines()
    assert rows[0] == f"deleted files of demo kept in bucket '{BUCKET}':"
    assert rows[1].startswith(f"  1.0  {WHEEL}  ") and " deleted 20" in rows[1]
    assert rows[2].startswith(f"  1.0  {SDIST}  ")
    assert rows[3] == "  yank record of 1.0, restored with its release"

    result = run("restore", "demo", "1.0")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "restored the yank record of demo 1.0 ('broken')"
    assert f"restored: s3://{BUCKET}/demo/{WHEEL}  sha256={released[WHEEL][0]}" in result.stdout
    assert _listed(shelf, "demo") == released  # same files, same sha256, yanked again
    assert run("restore", "demo", "--list").stdout == (
        "nothing to restore: no deleted file of demo is kept in bucket 'shelf-cli'\n"
    )


def test_restore_one_file_by_name(
    run: Run, shelf: S3Store, released: dict[str, tuple[str | None, str | None]]
) -> None:
    assert run("delete", "--yes", "demo", "1.0").exit_code == 0
    result = run("restore", "demo", SDIST)
    assert result.exit_code == 0, result.output
    assert set(_listed(shelf, "demo")) == {SDIST, "demo-2.0-py3-none-any.whl"}
    again = run("restore", "demo", SDIST)
    assert (again.exit_code, again.stdout.splitlines()[0]) == (
        0,
        f"already there: s3://{BUCKET}/demo/{SDIST} holds the same bytes as its kept version",
    )


def test_a_name_another_file_holds_is_refused(
    run: Run, s3: Any, shelf: S3Store, tmp_path: Path, released: dict[str, Any]
) -> None:
    assert run("delete", "--yes", "demo", "--file", WHEEL).exit_code == 0
    other = tmp_path / "other"
    other.mkdir()
    again = write_wheel(other, "demo", "1.0", module="changed")
    assert run("upload", str(again)).exit_code == 0
    result = run("restore", "demo", WHEEL)
    assert (result.exit_code, result.stderr) == (
        4,
        f"Error: s3://{BUCKET}/demo/{WHEEL} now holds a different file: not restored (delete "
        "it first to restore the old file, or publish a new version)\n",
    )
    body = s3.get_object(Bucket=BUCKET, Key=f"demo/{WHEEL}")["Body"].read()
    assert body == again.read_bytes()


def test_a_yank_undone_before_the_delete_stays_undone(
    run: Run, shelf: S3Store, released: dict[str, Any]
) -> None:
    assert run("unyank", "demo", "1.0").exit_code == 0
    time.sleep(1.1)  # S3 times deletions to the second: an unyank in the same second is not told
    assert run("delete", "--yes", "demo", "1.0").exit_code == 0
    result = run("restore", "demo", "1.0")
    assert "yank record" not in result.stdout
    assert {name: reason for name, (_, reason) in _listed(shelf, "demo").items()} == {
        WHEEL: None,
        SDIST: None,
        "demo-2.0-py3-none-any.whl": None,
    }


def test_nothing_to_restore(run: Run, released: dict[str, Any]) -> None:
    result = run("restore", "demo", "2.0")
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: nothing to restore: no deleted file of demo 2.0 is kept in bucket '{BUCKET}' "
        "(`pyshelf restore demo --list` shows what can be restored)\n",
    )
    result = run("restore", "dmeo", "1.0")
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: no project 'dmeo' in the versions of bucket '{BUCKET}'; did you mean: demo?\n",
    )


def test_a_bucket_without_versioning_says_so(run: Run, s3: Any) -> None:
    s3.create_bucket(Bucket="plain-bucket")
    result = run("restore", "demo", "1.0", "--bucket", "plain-bucket")
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: bucket 'plain-bucket' keeps no versions (versioning is off): nothing to restore\n",
    )


def test_a_version_or_filename_is_required(run: Run) -> None:
    result = run("restore", "demo")
    assert (result.exit_code, result.stderr) == (
        2,
        "Error: name the VERSION or FILENAME to restore, or pass --list\n",
    )
