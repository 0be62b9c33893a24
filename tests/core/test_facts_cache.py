from __future__ import annotations

import pytest

from pyshelf.core.facts_cache import FactsCache, YankFacts
from pyshelf.core.page_model import FileFacts


def test_round_trip_is_exact_and_deterministic() -> None:
    facts_cache = FactsCache(
        files={
            "b-1.0.tar.gz": FileFacts('"e2"', 5, "aa" * 32),
            "a-1.0-py3-none-any.whl": FileFacts('"e1"', 9, "bb" * 32, ">=3.9", "cc" * 32, '"m"'),
        },
        yanks={"a/1.0.yank": YankFacts('"y"', "broken")},
    )
    data = facts_cache.dumps()
    again = FactsCache.loads(data)
    assert again == facts_cache
    assert again.dumps() == data


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"not json",
        b"[]",
        b'{"schema": 99, "files": {}}',
        b'{"schema": 1}',
        b'{"schema": 1, "files": {"x": {"etag": 1}}, "yanks": {}}',
    ],
)
def test_unreadable_cache_is_empty(data: bytes) -> None:
    assert FactsCache.loads(data) == FactsCache()


def test_facts_describe_only_the_same_object() -> None:
    facts = FileFacts('"e"', 10, "aa" * 32)
    assert facts.describes('"e"', 10)
    assert not facts.describes('"e2"', 10)
    assert not facts.describes('"e"', 11)
