"""Edge invalidation: files replaced, removed or repaired are invalidated once per batch."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import boto3
from botocore.stub import ANY, Stubber
from distbuild import sdist, wheel
from eventjson import created, removed, sqs_event
from packaging.utils import canonicalize_name
from storage_reads import put

from pyshelf.core import layout
from pyshelf.indexer.batch import handle_event
from pyshelf.indexer.invalidation import (
    MAX_PATHS,
    CloudFrontInvalidator,
    RecordingInvalidator,
    bounded,
    edge_paths,
)
from pyshelf.storage.memory import MemoryStore, StoredObject

WHEEL = "alpha/alpha-1.0-py3-none-any.whl"
WHEEL_PATHS = [
    "/alpha/alpha-1.0-py3-none-any.whl",
    "/alpha/alpha-1.0-py3-none-any.whl.metadata",
    "/simple/alpha/alpha-1.0-py3-none-any.whl",
    "/simple/alpha/alpha-1.0-py3-none-any.whl.metadata",
]


def test_a_new_upload_invalidates_nothing(store: MemoryStore) -> None:
    edge = RecordingInvalidator()
    put(store, WHEEL, wheel("alpha", "1.0"))
    assert handle_event(sqs_event(created(WHEEL)), store, None, edge) == {"batchItemFailures": []}
    assert edge.batches == []


def test_an_overwrite_invalidates_every_path_of_the_file(store: MemoryStore) -> None:
    edge = RecordingInvalidator()
    put(store, WHEEL, wheel("alpha", "1.0"))
    put(store, "alpha/alpha-1.0.tar.gz", sdist("alpha", "1.0"))
    handle_event(sqs_event(created(WHEEL, "alpha/alpha-1.0.tar.gz")), store, None, edge)
    put(store, WHEEL, wheel("alpha", "1.0", ">=3.12"))
    handle_event(sqs_event(created(WHEEL)), store, None, edge)
    assert edge.batches == [WHEEL_PATHS]


class FailingPageWrite(MemoryStore):
    """A store on which every write of a project page fails (after the facts cache write)."""

    def put(self, key: str, body: bytes, **kwargs: Any) -> str:
        if key.endswith("/index.html"):
            raise OSError("page write failed")
        return super().put(key, body, **kwargs)


def test_an_overwrite_is_invalidated_even_when_indexing_fails_after_the_cache_write(
    store: MemoryStore,
) -> None:
    """The cache already holds the new bytes, so a redelivery would see no difference: the
    invocation that wrote it invalidates, though its message fails."""
    put(store, WHEEL, wheel("alpha", "1.0"))
    handle_event(sqs_event(created(WHEEL)), store)
    put(store, WHEEL, wheel("alpha", "1.0", ">=3.12"))
    edge = RecordingInvalidator()
    failing = FailingPageWrite(store.bucket, store.contents)
    response = handle_event(sqs_event(created(WHEEL)), failing, None, edge)
    assert response["batchItemFailures"]
    assert edge.batches == [WHEEL_PATHS]


def test_an_overwrite_seen_through_an_unreadable_cache_invalidates_the_project(
    store: MemoryStore,
) -> None:
    """What the damaged (or older) cache described is unknown: every path of the project."""
    put(store, WHEEL, wheel("alpha", "1.0"))
    handle_event(sqs_event(created(WHEEL)), store)
    store.put(layout.facts_cache_key(canonicalize_name("alpha")), b"garbage", content_type="x")
    put(store, WHEEL, wheel("alpha", "1.0", ">=3.12"))
    edge = RecordingInvalidator()
    assert handle_event(sqs_event(created(WHEEL)), store, None, edge) == {"batchItemFailures": []}
    assert edge.batches == [["/alpha/*", "/simple/alpha/*"]]


def test_removals_of_a_batch_are_one_invalidation(store: MemoryStore) -> None:
    edge = RecordingInvalidator()
    put(store, WHEEL, wheel("alpha", "1.0"))
    put(store, "beta/beta-2.0.tar.gz", sdist("beta", "2.0"))
    handle_event(sqs_event(created(WHEEL), created("beta/beta-2.0.tar.gz")), store, None, edge)
    store.delete(WHEEL)
    store.delete("beta/beta-2.0.tar.gz")
    handle_event(sqs_event(removed(WHEEL), removed("beta/beta-2.0.tar.gz")), store, None, edge)
    (batch,) = edge.batches
    beta = edge_paths(canonicalize_name("beta"), "beta-2.0.tar.gz")
    assert batch == sorted(WHEEL_PATHS + beta)


def test_more_than_the_bound_becomes_wildcards_per_project() -> None:
    many = {canonicalize_name("alpha"): {f"/alpha/a-{i}.whl" for i in range(MAX_PATHS)}}
    assert len(bounded(many)) == MAX_PATHS
    many[canonicalize_name("beta")] = {"/beta/b-1.whl"}
    assert bounded(many) == ["/alpha/*", "/simple/alpha/*", "/beta/*", "/simple/beta/*"]


def test_cloudfront_invalidator_sends_one_batch() -> None:
    client = boto3.client("cloudfront", region_name="us-east-1")
    expected = {
        "DistributionId": "E123",
        "InvalidationBatch": {
            "Paths": {"Quantity": 2, "Items": ["/a/x.whl", "/simple/a/x.whl"]},
            "CallerReference": ANY,
        },
    }
    with Stubber(client) as stub:
        stub.add_response(
            "create_invalidation",
            {
                "Location": "l",
                "Invalidation": {
                    "Id": "I1",
                    "Status": "InProgress",
                    "CreateTime": "2024-01-01T00:00:00Z",
                    "InvalidationBatch": {"Paths": {"Quantity": 0}, "CallerReference": "c"},
                },
            },
            expected,
        )
        CloudFrontInvalidator(client, "E123").invalidate(["/a/x.whl", "/simple/a/x.whl"])
        stub.assert_no_pending_responses()


class KmsStore(MemoryStore):
    """ETags unique per write, as S3 gives them under SSE-KMS (the stack's KMS variant): the
    same bytes written again get a new ETag."""

    def __init__(self) -> None:
        super().__init__("pyshelf-test")
        self.writes = 0

    def _write(
        self, key: str, stored: StoredObject, *, if_match: str | None, if_none_match: bool
    ) -> str:
        self.writes += 1
        unique = replace(stored, etag=f'"{self.writes:032x}"')
        return super()._write(key, unique, if_match=if_match, if_none_match=if_none_match)


def test_the_same_bytes_written_again_invalidate_nothing() -> None:
    """A `.metadata` repaired with the bytes it had, and a file uploaded again with the bytes it
    had, leave nothing stale at the edge even when their ETags change: what the edge holds is
    compared by sha256."""
    store, edge = KmsStore(), RecordingInvalidator()
    data = wheel("alpha", "1.0")
    put(store, WHEEL, data)
    handle_event(sqs_event(created(WHEEL)), store, None, edge)
    store.delete(WHEEL + ".metadata")  # lost: the reindex below writes it again
    request = {"pyshelf": "reindex", "request": "r-1", "projects": ["alpha"]}
    assert handle_event(sqs_event(request), store, None, edge) == {"batchItemFailures": []}
    assert WHEEL + ".metadata" in store.contents.objects
    put(store, WHEEL, data)  # the same bytes again: a new ETag
    handle_event(sqs_event(created(WHEEL)), store, None, edge)
    assert edge.batches == []
    put(store, WHEEL, wheel("alpha", "1.0", ">=3.12"))  # other bytes: invalidated
    handle_event(sqs_event(created(WHEEL)), store, None, edge)
    assert edge.batches == [WHEEL_PATHS]
