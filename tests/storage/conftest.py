"""The stores under contract: MemoryStore, and S3Store on in-process moto.

moto 5.2 ignores two conditions S3 applies (If-Match on CompleteMultipartUpload, If-None-Match
on CopyObject); `pyshelf.local.moto_compat` teaches moto both, on its server side, for
`pyshelf serve` and for these tests alike, so what gets checked is S3Store's real request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from pyshelf.local import moto_compat
from pyshelf.storage import Storage
from pyshelf.storage.memory import MemoryStore
from pyshelf.storage.s3 import S3Store

# What a store keeps beside the body: content type, cache control, user metadata.
Headers = tuple[str, str | None, dict[str, str]]


@dataclass(frozen=True)
class Subject:
    store: Storage
    headers: Callable[[str], Headers]
    content_encoding: Callable[[str], str | None]


def memory_subject() -> Subject:
    store = MemoryStore("contract")

    def headers(key: str) -> Headers:
        stored = store.stored(key)
        assert stored is not None
        return stored.content_type, stored.cache_control, dict(stored.metadata)

    def content_encoding(key: str) -> str | None:
        stored = store.stored(key)
        assert stored is not None
        return stored.content_encoding

    return Subject(store, headers, content_encoding)


def s3_subject(store: S3Store) -> Subject:
    moto_compat.install()

    def headers(key: str) -> Headers:
        head = store.client.head_object(Bucket=store.bucket, Key=key)
        return head["ContentType"], head.get("CacheControl"), head["Metadata"]

    def content_encoding(key: str) -> str | None:
        return store.client.head_object(Bucket=store.bucket, Key=key).get("ContentEncoding")

    return Subject(store, headers, content_encoding)


@pytest.fixture(params=["memory", "s3"])
def subject(request: pytest.FixtureRequest) -> Subject:
    if request.param == "memory":
        return memory_subject()
    return s3_subject(request.getfixturevalue("s3_store"))
