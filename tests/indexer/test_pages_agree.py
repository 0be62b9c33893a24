"""HTML and JSON pages never disagree for longer than one retry: a write that fails after the
first page landed fails the message (the facts cache is already written), and its retry
rewrites every page that differs from what the cache renders (docs/reliability.md)."""

from __future__ import annotations

import gzip
import json
from typing import Any

import pypi_simple
import pytest
from distbuild import wheel
from eventjson import created, sqs_event
from storage_reads import body, put

from pyshelf.indexer.batch import handle_event
from pyshelf.storage.memory import MemoryStore

FIRST = "foo/foo-1.0-py3-none-any.whl"
SECOND = "foo/foo-2.0-py3-none-any.whl"


class FailingOnce(MemoryStore):
    """The same objects as `inner`; the first PUT of `key` fails (S3's 500), once."""

    def __init__(self, inner: MemoryStore, key: str) -> None:
        super().__init__(inner.bucket, inner.contents)
        self.key: str | None = key

    def put(self, key: str, body: bytes, **kwargs: Any) -> str:
        if key == self.key:
            self.key = None
            raise OSError("InternalError: we encountered an internal error")
        return super().put(key, body, **kwargs)


def listed(store: MemoryStore) -> dict[str, set[str]]:
    """The files each of foo's pages lists (the JSON page's gzip variant decoded)."""
    html = pypi_simple.ProjectPage.from_html("foo", body(store, "foo/index.html"))
    pages = {"html": {p.filename for p in html.packages}}
    for name, data in (
        ("json", body(store, "foo/index.json")),
        ("json.gz", gzip.decompress(body(store, "foo/index.json.gz"))),
    ):
        pages[name] = {f["filename"] for f in json.loads(data)["files"]}
    return pages


def indexed_foo() -> MemoryStore:
    store = MemoryStore("pyshelf-test")
    put(store, FIRST, wheel("foo", "1.0"))
    handle_event(sqs_event(created(FIRST)), store)
    put(store, SECOND, wheel("foo", "2.0"))
    return store


EVENT = "event"
REINDEX = "reindex"


def deliver(store: MemoryStore, path: str, receive_count: int) -> dict[str, Any]:
    if path == EVENT:
        event = sqs_event(created(SECOND), receive_count=receive_count)
    else:
        body = {"pyshelf": "reindex", "request": "r-1", "projects": ["foo"]}
        event = sqs_event(body, receive_count=receive_count)
    return handle_event(event, store)


@pytest.mark.parametrize("path", [EVENT, REINDEX])
@pytest.mark.parametrize("failing", ["foo/index.json.gz", "foo/index.json"])
def test_pages_agree_after_one_retry(path: str, failing: str) -> None:
    store = indexed_foo()
    names = {"foo-1.0-py3-none-any.whl", "foo-2.0-py3-none-any.whl"}

    response = deliver(FailingOnce(store, failing), path, 1)

    assert response == {"batchItemFailures": [{"itemIdentifier": "message-0"}]}
    pages = listed(store)
    assert pages["html"] == names  # the first page landed ...
    assert pages["json"] != names  # ... the next did not: they disagree until the retry

    assert deliver(store, path, 2) == {"batchItemFailures": []}
    assert listed(store) == {"html": names, "json": names, "json.gz": names}
