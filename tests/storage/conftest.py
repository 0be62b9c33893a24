"""The stores under contract: MemoryStore, and S3Store on in-process moto.

moto 5.2 ignores two conditions S3 applies (it honours If-None-Match on CompleteMultipartUpload
and both conditions on PutObject):
- If-Match on CompleteMultipartUpload: S3 answers 404 NoSuchKey when there is no object and
  412 PreconditionFailed when its ETag differs, as for PutObject;
- If-None-Match: * on CopyObject: 412 when the target exists (docs/race-freedom.md, Limits).
`s3_subject` teaches moto both, on its server side, so what gets checked is S3Store's real
request (its headers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from moto.s3 import exceptions, models, responses

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


def _teach_moto_s3_conditions(monkeypatch: pytest.MonkeyPatch) -> None:
    complete, copy = responses.S3Response._key_response_post, responses.S3Response.copy_object

    def complete_checked(self: Any, request: Any, *args: Any) -> Any:
        _body, bucket, query, key = args
        if_match = request.headers.get("If-Match")
        if query.get("uploadId") and if_match:
            current = self.backend.get_object(bucket, key)
            if not isinstance(current, models.FakeKey):
                raise exceptions.MissingKey(key)
            if current.etag.strip('"') != if_match.strip('"'):
                raise exceptions.PreconditionFailed("If-Match")
        return complete(self, request, *args)

    def copy_checked(self: Any) -> Any:
        if self.headers.get("If-None-Match") == "*":
            target = self.backend.get_object(self.bucket_name, self.parse_key_name())
            if isinstance(target, models.FakeKey):
                raise exceptions.PreconditionFailed("If-None-Match")
        return copy(self)

    monkeypatch.setattr(responses.S3Response, "_key_response_post", complete_checked)
    monkeypatch.setattr(responses.S3Response, "copy_object", copy_checked)


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


def s3_subject(store: S3Store, monkeypatch: pytest.MonkeyPatch) -> Subject:
    _teach_moto_s3_conditions(monkeypatch)

    def headers(key: str) -> Headers:
        head = store.client.head_object(Bucket=store.bucket, Key=key)
        return head["ContentType"], head.get("CacheControl"), head["Metadata"]

    def content_encoding(key: str) -> str | None:
        return store.client.head_object(Bucket=store.bucket, Key=key).get("ContentEncoding")

    return Subject(store, headers, content_encoding)


@pytest.fixture(params=["memory", "s3"])
def subject(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Subject:
    if request.param == "memory":
        return memory_subject()
    return s3_subject(request.getfixturevalue("s3_store"), monkeypatch)
