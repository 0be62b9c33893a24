"""`serve --data`: bucket objects mirrored to files, and back."""

from __future__ import annotations

import gzip
import itertools
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pyshelf.core import layout
from pyshelf.local.datadir import DataDir, path_of
from pyshelf.storage.s3 import S3Store

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_names = itertools.count()


@pytest.fixture
def fresh(s3: S3Client) -> str:
    name = f"data-bucket-{next(_names)}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.mark.parametrize(
    ("key", "relative"),
    [
        ("foo/foo-1.0.tar.gz", "foo/foo-1.0.tar.gz"),
        ("_pyshelf/projects/foo.json", "_pyshelf/projects/foo.json"),
        ("index.html", "index.html"),
        ("foo/a b+c.whl", "foo/a b+c.whl"),
    ],
)
def test_keys_map_to_relative_paths(key: str, relative: str) -> None:
    assert path_of(Path("/d"), key) == Path("/d", relative)


@pytest.mark.parametrize(
    "key",
    [
        "../x",  # not a filesystem path
        "foo/../x",
        "foo//x",
        "foo/",
        "/abs",
        "a\\b",
        ".pyshelf-partial/x",
        "x" * 256,
    ],  # not a filesystem path
)
def test_unsafe_keys_are_refused(key: str) -> None:
    assert path_of(Path("/d"), key) is None


@pytest.mark.parametrize(
    ("key", "content_type", "cache_control"),
    [
        ("foo/index.json", layout.JSON_TYPE, layout.PAGE_CACHE_CONTROL),
        ("index.html", layout.HTML_TYPE, layout.PAGE_CACHE_CONTROL),
        ("foo/foo-1.0-py3-none-any.whl", "application/zip", layout.IMMUTABLE_CACHE_CONTROL),
        ("foo/foo-1.0.tar.gz", "application/octet-stream", layout.IMMUTABLE_CACHE_CONTROL),
        (
            "foo/foo-1.0-py3-none-any.whl.metadata",
            layout.METADATA_TYPE,
            layout.IMMUTABLE_CACHE_CONTROL,
        ),
        ("_pyshelf/projects/foo.json", layout.FACTS_CACHE_TYPE, "no-store"),
        ("foo/1.0.yank", "text/plain; charset=utf-8", "no-store"),
        ("notes.txt", "text/plain", None),
    ],
)
def test_restore_headers_follow_the_layout(
    key: str, content_type: str, cache_control: str | None
) -> None:
    assert layout.headers_of(key) == (content_type, cache_control)


def test_mirror_writes_and_removes(s3: S3Client, fresh: str, tmp_path: Path) -> None:
    data = DataDir(tmp_path)
    s3.put_object(Bucket=fresh, Key="foo/foo-1.0.tar.gz", Body=b"sdist")
    store = S3Store(s3, fresh)
    data.mirror(store, ["foo/foo-1.0.tar.gz", "foo/../evil", "bar/never-existed.whl"])
    assert (tmp_path / "foo/foo-1.0.tar.gz").read_bytes() == b"sdist"
    assert not (tmp_path / "bar").exists()
    s3.delete_object(Bucket=fresh, Key="foo/foo-1.0.tar.gz")
    data.mirror(store, ["foo/foo-1.0.tar.gz"])
    assert list(tmp_path.iterdir()) in ([], [tmp_path / ".pyshelf-partial"])


def test_sync_then_load_round_trips(s3: S3Client, fresh: str, tmp_path: Path) -> None:
    contents = {
        "foo/foo-1.0-py3-none-any.whl": b"wheel",
        "foo/index.html": b"<html/>",
        "foo/index.json.gz": gzip.compress(b"{}"),
        "_pyshelf/projects/foo.json": b"{}",
        "notes.txt": b"hello",
    }
    for key, body in contents.items():
        s3.put_object(Bucket=fresh, Key=key, Body=body)
    stale = tmp_path / "gone" / "old.whl"
    stale.parent.mkdir()
    stale.write_bytes(b"old")
    data = DataDir(tmp_path)
    result = data.sync(S3Store(s3, fresh))
    assert (result.written, result.removed) == (5, 1)
    assert not stale.parent.exists()
    assert data.sync(S3Store(s3, fresh)).written == 0  # unchanged objects are not fetched again

    modified = s3.head_object(Bucket=fresh, Key="notes.txt")["LastModified"]
    assert (tmp_path / "notes.txt").stat().st_mtime == modified.timestamp()

    restored = f"{fresh}-restored"
    s3.create_bucket(Bucket=restored)
    backdated: dict[str, datetime] = {}
    assert DataDir(tmp_path).load(S3Store(s3, restored), backdated.__setitem__) == 5
    assert backdated["notes.txt"] == modified
    for key, body in contents.items():
        got = s3.get_object(Bucket=restored, Key=key)
        assert got["Body"].read() == body
        assert got["ContentType"] == layout.headers_of(key)[0]
        assert got.get("ContentEncoding") == layout.content_encoding_of(key)
    variant = s3.head_object(Bucket=restored, Key="foo/index.json.gz")
    assert variant["ContentEncoding"] == "gzip"  # a restored variant is still served decodable


def test_a_key_that_is_also_a_folder_is_counted_as_not_storable(
    s3: S3Client, fresh: str, tmp_path: Path
) -> None:
    s3.put_object(Bucket=fresh, Key="bar", Body=b"a file named like a folder")
    s3.put_object(Bucket=fresh, Key="bar/bar-1.0.tar.gz", Body=b"sdist")
    result = DataDir(tmp_path).sync(S3Store(s3, fresh))
    assert (result.written, result.skipped) == (1, 1)
