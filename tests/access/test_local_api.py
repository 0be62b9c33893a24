"""`pyshelf serve`'s KeyValueStore: the API in front of moto (shapes botocore reads, requests
it passes to moto), and the store kept in `--data DIR`."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from pyshelf.access.cloudfront import CloudFrontKeyValueStore, client_for
from pyshelf.access.registry import TokenRegistry
from pyshelf.access.store import StoreNotFound
from pyshelf.constants import LOCAL_KVS_ARN
from pyshelf.core.tokens import TokenRecord, token_key
from pyshelf.local import aws
from pyshelf.local.datadir import KVS_FILE, DataDir, path_of
from pyshelf.local.emulator import Emulator
from pyshelf.local.kvs_state import StateError, open_store

from .conftest import local_session


def _raw(emulator: Emulator, method: str, path: str, **headers: str) -> tuple[int, Any, Any]:
    url = f"{emulator.endpoint}/key-value-stores/{quote(LOCAL_KVS_ARN, safe='')}{path}"
    request = urllib.request.Request(
        url, method=method, headers=headers, data=b"" if method in ("PUT", "POST") else None
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, json.load(exc)


def test_writes_without_if_match_are_refused(emulator: Emulator) -> None:
    status, headers, body = _raw(emulator, "DELETE", "/keys/a")
    assert (status, headers["x-amzn-ErrorType"]) == (400, "ValidationException")
    assert "If-Match" in body["Message"]


@pytest.mark.parametrize("query", ["?MaxResults=51", "?MaxResults=0", "?NextToken=%%%"])
def test_list_keys_checks_its_paging(emulator: Emulator, query: str) -> None:
    status, headers, _ = _raw(emulator, "GET", f"/keys{query}")
    assert (status, headers["x-amzn-ErrorType"]) == (400, "ValidationException")


def test_describe_counts_items_and_bytes(
    emulator: Emulator, emulated: CloudFrontKeyValueStore
) -> None:
    emulated.update(puts={"ab": "cde", "f": ""}, if_match=emulated.etag())
    status, headers, body = _raw(emulator, "GET", "")
    assert status == 200
    assert headers["ETag"] == emulated.etag()
    assert (body["ItemCount"], body["TotalSizeInBytes"], body["KvsARN"]) == (2, 6, LOCAL_KVS_ARN)


def test_another_arn_is_not_found(emulator: Emulator) -> None:
    other = LOCAL_KVS_ARN.replace("pyshelf-local", "elsewhere")
    store = CloudFrontKeyValueStore(client_for(local_session(), emulator.endpoint), other)
    with pytest.raises(StoreNotFound):
        store.etag()


def test_s3_requests_still_reach_moto(emulator: Emulator) -> None:
    """Even a path-style bucket named like the API's path prefix."""
    s3 = aws.s3_client(emulator.endpoint)
    s3.create_bucket(Bucket="key-value-stores")
    s3.put_object(Bucket="key-value-stores", Key="arn:x/keys/y", Body=b"object")
    assert s3.get_object(Bucket="key-value-stores", Key="arn:x/keys/y")["Body"].read() == b"object"
    assert emulator.key_value_store.list() == {}


def test_the_emulator_serves_the_store_it_was_given(
    emulated: CloudFrontKeyValueStore, emulator: Emulator
) -> None:
    """What the boto3 client writes is what the CDN reads from the in-process store."""
    issued = TokenRegistry(emulated).create("ci", lifetime=None)
    value = emulator.key_value_store.get(token_key(issued.token))
    assert value is not None and TokenRecord.decode(value) == issued.record


def test_the_store_is_kept_in_the_data_dir(tmp_path: Path) -> None:
    store = open_store(tmp_path)
    issued = TokenRegistry(store).create("ci", lifetime=None)
    text = (tmp_path / KVS_FILE).read_text()
    assert issued.token not in text
    again = open_store(tmp_path)
    assert again.list() == store.list()
    TokenRegistry(again).revoke("ci")
    assert open_store(tmp_path).list() == {}


def test_without_data_the_store_is_only_in_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    TokenRegistry(open_store(None)).create("ci", lifetime=None)
    assert list(tmp_path.iterdir()) == []


def test_an_unreadable_store_file_is_an_error(tmp_path: Path) -> None:
    (tmp_path / KVS_FILE).write_text('{"items": ["not", "a", "map"]}')
    with pytest.raises(StateError, match="not a pyshelf token store"):
        open_store(tmp_path)


def test_the_data_dir_never_takes_the_store_file_for_an_object(tmp_path: Path) -> None:
    """Not loaded into the bucket, not removed by the sync (it lists no such key)."""
    (tmp_path / "foo").mkdir()
    (tmp_path / "foo" / "foo-1.0.tar.gz").write_bytes(b"x")
    (tmp_path / KVS_FILE).write_text('{"items": {}}')
    assert [p.name for p in DataDir(tmp_path).files()] == ["foo-1.0.tar.gz"]
    assert path_of(tmp_path, KVS_FILE) is None
