"""`pyshelf reindex --direct --endpoint-url` against `pyshelf serve`'s emulator also rebuilds the
private set in serve's KeyValueStore, through the KeyValueStore API on the S3 endpoint."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result
from distbuild import wheel
from packaging.utils import NormalizedName

from pyshelf import constants
from pyshelf.access.memory import MemoryKeyValueStore
from pyshelf.cli import main
from pyshelf.core.private_names import project_key
from pyshelf.indexer.private_set import write_tombstone
from pyshelf.local import aws
from pyshelf.local.emulator import Emulator
from pyshelf.storage.s3 import S3Store

GONE, STALE = NormalizedName("gone"), NormalizedName("stale")
_buckets = itertools.count()


@pytest.fixture(scope="module")
def names() -> MemoryKeyValueStore:
    return MemoryKeyValueStore()


@pytest.fixture(scope="module")
def emulator(names: MemoryKeyValueStore) -> Iterator[Emulator]:
    with Emulator("127.0.0.1", 0, names) as running:
        yield running


@pytest.fixture
def shelf(emulator: Emulator, bucket_name: str) -> S3Store:
    """A bucket with foo's wheel (no pages yet) and the tombstone of `gone`."""
    s3 = aws.s3_client(emulator.endpoint)
    s3.create_bucket(Bucket=bucket_name)
    store = S3Store(s3, bucket_name)
    store.put("foo/foo-1.0-py3-none-any.whl", wheel("foo", "1.0"), content_type="application/zip")
    write_tombstone(store, GONE)
    return store


@pytest.fixture
def bucket_name() -> str:
    return f"direct-{next(_buckets)}"


def _direct(monkeypatch: pytest.MonkeyPatch, emulator: Emulator, bucket: str) -> Result:
    for name, value in aws.client_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    args = ["reindex", "--direct", "--all", "--endpoint-url", emulator.endpoint, "--bucket", bucket]
    return CliRunner().invoke(main, args)


def test_direct_rebuilds_the_private_set_in_serves_store(
    monkeypatch: pytest.MonkeyPatch,
    emulator: Emulator,
    names: MemoryKeyValueStore,
    shelf: S3Store,
) -> None:
    names.put(project_key(STALE), "live", if_match=names.etag())
    result = _direct(monkeypatch, emulator, shelf.bucket)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "foo: rebuilt, 1 file(s)",
        "reindexed 1 project(s) and the root",
    ]
    assert names.list("project:") == {"project:foo": "live", "project:gone": "reserved"}


def test_an_endpoint_without_the_store_leaves_the_set_with_a_warning(
    monkeypatch: pytest.MonkeyPatch,
    emulator: Emulator,
    names: MemoryKeyValueStore,
    shelf: S3Store,
) -> None:
    """Another S3-compatible service answers the KeyValueStore API with an error."""
    before = names.list("project:")
    monkeypatch.setattr(constants, "LOCAL_KVS_ARN", constants.LOCAL_KVS_ARN + "-elsewhere")
    result = _direct(monkeypatch, emulator, shelf.bucket)
    assert result.exit_code == 0, result.output
    assert f"warning: no pyshelf serve KeyValueStore at {emulator.endpoint}" in result.stderr
    assert "the private set is left as it is" in result.stderr
    assert "foo: rebuilt, 1 file(s)" in result.stdout
    assert names.list("project:") == before
