"""The page for people as a follow-up: with a queue to send on (as deployed), the event path
writes pip's pages and leaves the human project page to one follow-up message per batch, which
brings it to the facts cache as it is then (docs/pages.md)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from distbuild import wheel
from eventjson import created, removed, sqs_event
from index_checks import assert_index_matches_bucket
from packaging.utils import canonicalize_name
from storage_reads import body, files_of, put

from pyshelf.core import layout
from pyshelf.core.events import messages_of
from pyshelf.core.facts_cache import FactsCache
from pyshelf.indexer.batch import handle_event
from pyshelf.storage.memory import MemoryStore

ALPHA = canonicalize_name("alpha")
HUMAN = layout.human_page_key(ALPHA)


class CountingPuts(MemoryStore):
    def __init__(self, inner: MemoryStore) -> None:
        super().__init__(inner.bucket, inner.contents)
        self.puts: list[str] = []

    def put(self, key: str, body: bytes, **kwargs: Any) -> str:
        self.puts.append(key)
        return super().put(key, body, **kwargs)


def upload(store: MemoryStore, version: str) -> dict[str, Any]:
    key = f"alpha/alpha-{version}-py3-none-any.whl"
    put(store, key, wheel("alpha", version))
    return sqs_event(created(key))


def follow_ups(sent: list[str]) -> dict[str, Any]:
    return sqs_event(*(json.loads(body) for body in sent))


def test_the_event_leaves_the_page_for_people_to_one_follow_up(store: MemoryStore) -> None:
    sent: list[str] = []
    counting = CountingPuts(store)
    assert handle_event(upload(store, "1.0"), counting, requeue=sent.append) == {
        "batchItemFailures": []
    }
    assert list(files_of(store, "alpha")) == ["alpha-1.0-py3-none-any.whl"]  # pip's pages
    assert HUMAN not in counting.puts and store.head(HUMAN) is None
    (message,) = messages_of(follow_ups(sent))
    assert message.continuation is not None
    assert [(p.name, p.keys, p.people) for p in message.continuation.projects] == [
        (ALPHA, frozenset(), True)
    ]
    assert handle_event(follow_ups(sent), counting, requeue=sent.append) == {
        "batchItemFailures": []
    }
    assert len(sent) == 1  # a follow-up sends nothing on
    assert counting.puts[-1] == HUMAN
    assert_index_matches_bucket(store)  # the human page included
    counting.puts.clear()
    handle_event(follow_ups(sent), counting, requeue=sent.append)  # delivered twice
    assert counting.puts == []


def test_a_follow_up_writes_the_version_current_then(store: MemoryStore) -> None:
    """Two uploads, two follow-ups: the first one to run already shows both files."""
    sent: list[str] = []
    handle_event(upload(store, "1.0"), store, requeue=sent.append)
    handle_event(upload(store, "2.0"), store, requeue=sent.append)
    handle_event(follow_ups(sent[:1]), store, requeue=sent.append)
    page = store.get(HUMAN)
    assert page is not None
    assert b"alpha-1.0-py3-none-any.whl" in page.body
    assert b"alpha-2.0-py3-none-any.whl" in page.body
    assert_index_matches_bucket(store)


def test_without_a_queue_to_send_on_the_page_is_written_with_the_others(
    store: MemoryStore,
) -> None:
    def refuse(body: str) -> None:
        raise ConnectionResetError(104, "Connection reset by peer")

    assert handle_event(upload(store, "1.0"), store, requeue=refuse) == {"batchItemFailures": []}
    assert store.head(HUMAN) is not None
    assert_index_matches_bucket(store)


def test_a_batch_with_events_and_a_follow_up_of_one_project_writes_it_once(
    store: MemoryStore,
) -> None:
    sent: list[str] = []
    handle_event(upload(store, "1.0"), store, requeue=sent.append)
    both = {"Records": [*follow_ups(sent)["Records"], *upload(store, "2.0")["Records"]]}
    more: list[str] = []
    counting = CountingPuts(store)
    assert handle_event(both, counting, requeue=more.append) == {"batchItemFailures": []}
    assert more == []  # nothing left for another follow-up
    assert counting.puts.count(HUMAN) == 1
    assert_index_matches_bucket(store)


def test_a_follow_up_beside_an_event_that_changes_nothing_still_writes_the_page(
    store: MemoryStore,
) -> None:
    """The follow-up and a duplicate notification of the key already indexed, in one batch."""
    sent: list[str] = []
    event = upload(store, "1.0")
    handle_event(event, store, requeue=sent.append)
    assert store.head(HUMAN) is None
    both = {"Records": [*follow_ups(sent)["Records"], *event["Records"]]}
    assert handle_event(both, store, requeue=sent.append) == {"batchItemFailures": []}
    assert store.head(HUMAN) is not None
    assert_index_matches_bucket(store)


def test_a_release_gone_and_uploaded_again_shows_its_new_metadata(store: MemoryStore) -> None:
    """The warm process's remembered cache is what its bytes say: the metadata of a release
    whose files all went is gone from it too."""
    first, second = (
        f"Metadata-Version: 2.1\nName: alpha\nVersion: 1.0\nSummary: {text}\n\n".encode()
        for text in ("first", "second")
    )
    key = "alpha/alpha-1.0-py3-none-any.whl"
    handle_event(upload(store, "2.0"), store)
    put(store, key, wheel("alpha", "1.0", metadata=first))
    handle_event(sqs_event(created(key)), store)
    store.delete(key)
    handle_event(sqs_event(removed(key)), store)
    put(store, key, wheel("alpha", "1.0", metadata=second))
    handle_event(sqs_event(created(key)), store)
    cache = FactsCache.loads(body(store, layout.facts_cache_key(ALPHA)))
    assert cache.releases["1.0"].summary == "second"


def test_the_event_does_not_render_the_page_it_leaves(
    store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: list[str] = []
    real = FactsCache._human_page

    def counted(self: FactsCache, project: Any, releases: Any) -> bytes:
        rendered.append(project)
        return real(self, project, releases)

    monkeypatch.setattr(FactsCache, "_human_page", counted)
    sent: list[str] = []
    handle_event(upload(store, "1.0"), store, requeue=sent.append)
    assert rendered == []
    handle_event(follow_ups(sent), store, requeue=sent.append)
    assert rendered == [ALPHA]
