"""Each JSON page has a gzip variant (docs/layout.md): written with it, before it, only when it
is missing or holds another page, deleted with it, repaired by reindex."""

from __future__ import annotations

import gzip
from typing import Any

import pytest
from distbuild import wheel
from storage_reads import RecordingStore, body, sha256

from pyshelf.core.filenames import normalize_project
from pyshelf.indexer.derived import Derived, write_derived
from pyshelf.indexer.regenerate import regenerate_project, regenerate_root, reindex
from pyshelf.storage import SHA256_META, PreconditionFailed, Storage
from pyshelf.storage.memory import MemoryStore

FOO = normalize_project("foo")
WHEEL = "foo/foo-1.0-py3-none-any.whl"
JSON_PAGES = ("foo/index.json", "index.json")


@pytest.fixture
def indexed(store: MemoryStore) -> MemoryStore:
    store.put(WHEEL, wheel("foo", "1.0"), content_type="application/zip")
    reindex(store)  # the pages, the root and the summaries the human root shows
    return store


def _regenerate(store: MemoryStore) -> list[str]:
    """Regenerate foo and the root; the writes (puts and deletes) made, in order."""
    recording = RecordingStore(store)
    regenerate_project(recording, FOO)
    regenerate_root(recording)
    return [call for call in recording.calls if call.startswith(("put ", "delete "))]


@pytest.mark.parametrize("key", JSON_PAGES)
def test_each_json_page_has_its_gzip_variant(indexed: MemoryStore, key: str) -> None:
    stored = indexed.stored(key + ".gz")
    assert stored is not None
    plain = body(indexed, key)
    assert gzip.decompress(stored.body) == plain
    assert stored.content_encoding == "gzip"
    assert (stored.content_type, stored.cache_control) == (
        "application/vnd.pypi.simple.v1+json",
        "public, max-age=10",
    )
    # The sha256 of the page it holds, decoded: one HEAD compares it with the page.
    assert stored.metadata == {SHA256_META: sha256(plain)}


def test_html_pages_have_no_variant(indexed: MemoryStore) -> None:
    assert indexed.head("foo/index.html.gz") is None
    assert indexed.head("index.html.gz") is None


def test_an_unchanged_page_writes_nothing(indexed: MemoryStore) -> None:
    assert _regenerate(indexed) == []


def test_a_new_file_writes_each_variant_before_its_page(indexed: MemoryStore) -> None:
    indexed.put("foo/foo-2.0-py3-none-any.whl", wheel("foo", "2.0"), content_type="a/b")
    writes = _regenerate(indexed)
    assert writes.index("put foo/index.json.gz") < writes.index("put foo/index.json")
    assert gzip.decompress(body(indexed, "foo/index.json.gz")) == body(indexed, "foo/index.json")


@pytest.mark.parametrize("key", JSON_PAGES)
def test_a_missing_variant_is_written_though_its_page_is_unchanged(
    indexed: MemoryStore, key: str
) -> None:
    """An index written before variants existed gets them on its next regeneration."""
    indexed.delete(key + ".gz")
    assert _regenerate(indexed) == [f"put {key}.gz"]
    assert gzip.decompress(body(indexed, key + ".gz")) == body(indexed, key)


def test_a_crash_between_variant_and_page_is_repaired(indexed: MemoryStore) -> None:
    """The variant goes first: a page that failed to follow is written next time."""

    class PageWriteFails(MemoryStore):
        def put(self, key: str, body: bytes, **kwargs: Any) -> str:
            if key == "foo/index.json":
                raise OSError("the invocation died")
            return super().put(key, body, **kwargs)

    indexed.put("foo/foo-2.0-py3-none-any.whl", wheel("foo", "2.0"), content_type="a/b")
    with pytest.raises(OSError, match="died"):
        failing: Storage = PageWriteFails(indexed.bucket, indexed.contents)
        regenerate_project(failing, FOO)
    assert b"foo-2.0" in gzip.decompress(body(indexed, "foo/index.json.gz"))
    assert b"foo-2.0" not in body(indexed, "foo/index.json")
    assert "put foo/index.json" in _regenerate(indexed)
    assert gzip.decompress(body(indexed, "foo/index.json.gz")) == body(indexed, "foo/index.json")


def test_a_variant_holding_another_page_is_rewritten(indexed: MemoryStore) -> None:
    page = Derived.read(indexed, "foo/index.json")
    page.body = b'{"name": "foo", "files": []}'
    write_derived(indexed, page)  # both pages now hold this body
    indexed.put(
        "foo/index.json.gz",
        gzip.compress(b"{}"),
        content_type="application/vnd.pypi.simple.v1+json",
        content_encoding="gzip",
        metadata={SHA256_META: sha256(b"{}")},
    )
    again = Derived.read(indexed, "foo/index.json")
    again.body = page.body
    assert write_derived(indexed, again) is True
    assert gzip.decompress(body(indexed, "foo/index.json.gz")) == page.body


def test_the_variant_is_written_only_over_the_version_read(indexed: MemoryStore) -> None:
    page = Derived.read(indexed, "foo/index.json")
    page.body = b'{"name": "foo", "files": []}'
    indexed.put("foo/index.json.gz", gzip.compress(b"{}"), content_type="x/y")  # meanwhile
    with pytest.raises(PreconditionFailed):
        write_derived(indexed, page)


def test_the_last_file_gone_deletes_each_variant_with_its_page(indexed: MemoryStore) -> None:
    indexed.delete(WHEEL)
    writes = _regenerate(indexed)
    assert {"delete foo/index.json.gz", "delete foo/index.json"} <= set(writes)
    assert indexed.head("foo/index.json.gz") is None
    assert gzip.decompress(body(indexed, "index.json.gz")) == body(indexed, "index.json")


@pytest.mark.parametrize(
    "forged",
    [gzip.compress(b'{"name": "foo", "files": [{"url": "https://evil.example/x"}]}'), b"{}"],
    ids=["other page", "not gzip"],
)
@pytest.mark.parametrize("key", JSON_PAGES)
def test_reindex_repairs_a_forged_variant(indexed: MemoryStore, key: str, forged: bytes) -> None:
    recorded = indexed.head(key + ".gz")
    assert recorded is not None
    indexed.put(
        key + ".gz",
        forged,
        content_type="application/vnd.pypi.simple.v1+json",
        content_encoding="gzip",
        metadata={SHA256_META: recorded.sha256 or ""},
    )
    assert _regenerate(indexed) == []  # the event path trusts the recorded sha256
    reindex(indexed)
    assert gzip.decompress(body(indexed, key + ".gz")) == body(indexed, key)


def test_reindex_of_an_intact_index_rewrites_no_variant(indexed: MemoryStore) -> None:
    """Reindex compares a variant's decoded bytes with the page: intact ones are left alone."""
    recording = RecordingStore(indexed)
    reindex(recording)
    assert "get foo/index.json.gz" in recording.calls
    assert [call for call in recording.calls if call.startswith(("put ", "delete "))] == []
