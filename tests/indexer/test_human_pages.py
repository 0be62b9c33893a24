"""The indexer writes the human pages (docs/pages.md): the project page with the API pages (on
the event hot path one unconditional PUT, only when the cache changed), each release's
description once, the summaries and the human root only when a summary or the project set
changes. On the memory store."""

from __future__ import annotations

from distbuild import wheel
from eventjson import created, sqs_event
from packaging.utils import canonicalize_name
from storage_reads import RecordingStore, body, put

from pyshelf.core import layout
from pyshelf.core.facts_cache import FactsCache
from pyshelf.indexer.batch import handle_event
from pyshelf.indexer.regenerate import reindex
from pyshelf.indexer.summaries import read_summaries
from pyshelf.storage.memory import MemoryStore

HUMAN = "-/project/foo/index.html"
FOO = canonicalize_name("foo")


def meta(version: str, summary: str, readme: str = "") -> bytes:
    lines = ["Metadata-Version: 2.1", "Name: foo", f"Version: {version}", f"Summary: {summary}"]
    lines.append("Description-Content-Type: text/markdown")
    return ("\n".join(lines) + "\n\n" + readme).encode()


def upload(
    store: MemoryStore, version: str, summary: str, readme: str = "", tag: str = "py3"
) -> list[str]:
    """Upload foo `version` (wheel with this metadata) and index its event; the calls made."""
    key = f"foo/foo-{version}-{tag}-none-any.whl"
    put(store, key, wheel("foo", version, metadata=meta(version, summary, readme)))
    recording = RecordingStore(store)
    handle_event(sqs_event(created(key)), recording)
    return recording.calls


def writes(calls: list[str]) -> list[str]:
    return [c for c in calls if c.startswith(("put ", "delete "))]


def test_a_new_file_writes_the_human_page_once_without_reading_it(store: MemoryStore) -> None:
    upload(store, "1.0", "Foo things")
    calls = upload(store, "1.1", "Foo things", "# Readme\n\nHello *there*")
    assert f"head {HUMAN}" not in calls and f"get {HUMAN}" not in calls
    assert writes(calls).count(f"put {HUMAN}") == 1
    assert "put -/project/foo/description-1.1.html" in writes(calls)
    assert not [c for c in writes(calls) if c.startswith(("put index", "put -/index"))]
    page = body(store, HUMAN).decode()
    assert 'id="v1.1"' in page and 'id="v1.0"' in page
    assert 'data-src="/-/project/foo/description-1.1.html"' in page
    assert "<em>there</em>" in body(store, "-/project/foo/description-1.1.html").decode()


def test_a_duplicate_event_writes_nothing(store: MemoryStore) -> None:
    upload(store, "1.0", "Foo things")
    recording = RecordingStore(store)
    handle_event(sqs_event(created("foo/foo-1.0-py3-none-any.whl")), recording)
    assert writes(recording.calls) == []


def test_a_description_is_written_once_per_release(store: MemoryStore) -> None:
    upload(store, "1.0", "Foo things", "first")
    calls = upload(store, "1.0", "Foo things", "second", tag="py2.py3")
    assert "put -/project/foo/description-1.0.html" not in writes(calls)
    assert "first" in body(store, "-/project/foo/description-1.0.html").decode()


def test_the_human_root_follows_the_summaries_only(store: MemoryStore) -> None:
    first = upload(store, "1.0", "Foo things")  # a new project: the root and the summaries
    assert {"put -/index.html", f"put {layout.SUMMARIES_KEY}"} <= set(writes(first))
    assert read_summaries(store) == {"foo": "Foo things"}
    same = upload(store, "1.1", "Foo things")
    assert f"put {layout.SUMMARIES_KEY}" not in writes(same)
    assert "put -/index.html" not in writes(same) and "head -/index.html" not in same
    changed = upload(store, "2.0", "Better foo")
    assert {"put -/index.html", f"put {layout.SUMMARIES_KEY}"} <= set(writes(changed))
    assert "Better foo" in body(store, "-/index.html").decode()
    older = upload(store, "0.9", "Old foo")  # not the latest release: the summary stays
    assert f"put {layout.SUMMARIES_KEY}" not in writes(older)


def test_reindex_rebuilds_the_summaries_and_the_human_pages(store: MemoryStore) -> None:
    upload(store, "1.0", "Foo things")
    store.delete(layout.SUMMARIES_KEY)
    store.delete(HUMAN)
    store.delete("-/pyshelf.css")
    reindex(store)
    assert read_summaries(store) == {"foo": "Foo things"}
    assert b'id="v1.0"' in body(store, HUMAN)
    assert body(store, "-/pyshelf.css").startswith(b":root")
    assert layout.headers_of("-/pyshelf.css") == ("text/css; charset=utf-8", "public, max-age=10")


def test_reindex_learns_the_metadata_of_releases_indexed_before_it_was_kept(
    store: MemoryStore,
) -> None:
    """A facts cache from before release metadata: reindex reads each wheel's `.metadata`."""
    upload(store, "1.0", "Foo things", "Old *readme*")
    cache = FactsCache.loads(body(store, layout.facts_cache_key(FOO)))
    cache.releases.clear()
    store.put(layout.facts_cache_key(FOO), cache.dumps(), content_type="application/gzip")
    store.delete(layout.SUMMARIES_KEY)
    store.delete("-/project/foo/description-1.0.html")
    reindex(store)
    assert read_summaries(store) == {"foo": "Foo things"}
    assert b"<em>readme</em>" in body(store, "-/project/foo/description-1.0.html")
    again = RecordingStore(store)
    reindex(again)
    assert "get foo/foo-1.0-py3-none-any.whl.metadata" not in again.calls  # learned once
