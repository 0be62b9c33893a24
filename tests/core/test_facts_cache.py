from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from pyshelf.core import render
from pyshelf.core.facts_cache import Entry, FactsCache, YankFacts
from pyshelf.core.filenames import parse_distribution
from pyshelf.core.page_model import FileFacts, Listed, build_project_page

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
FOO = canonicalize_name("foo")


def sample() -> FactsCache:
    return FactsCache(
        files={
            "foo-1.0.tar.gz": Entry(FileFacts('"e2"', 5, "aa" * 32), T0),
            "foo-1.0-py3-none-any.whl": Entry(
                FileFacts('"e1"', 9, "bb" * 32, ">=3.9", "cc" * 32, '"m"'), T0
            ),
            "foo-2.0-py3-none-any.whl": Entry(FileFacts('"e3"', 7, "dd" * 32), T0),
        },
        yanks={"foo/1.0.yank": YankFacts('"y"', "broken <x>")},
    )


def test_round_trip_is_exact_and_deterministic() -> None:
    cache = sample()
    cache.refresh()
    data = cache.dumps()
    assert data[:2] == b"\x1f\x8b"  # gzip
    again = FactsCache.loads(data)
    assert again == cache
    assert again.dumps() == data


def test_pages_are_the_rendered_pages_byte_for_byte() -> None:
    cache = sample()
    listed = [
        Listed(parse_distribution(name), entry.facts, entry.upload_time)
        for name, entry in cache.files.items()
    ]
    page = build_project_page(FOO, listed, {Version("1.0"): "broken <x>"})
    assert cache.pages(FOO) == (render.project_html(page), render.project_json(page))


def test_a_fragment_is_rendered_once_and_again_on_a_yank_or_format_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cache = sample()
    assert cache.refresh() == 3
    assert cache.refresh() == 0
    cache.yanks.clear()  # the yank of 1.0 went: its two files change
    assert cache.refresh() == 2
    monkeypatch.setattr(render, "FRAGMENT_VERSION", render.FRAGMENT_VERSION + 1)
    assert cache.refresh() == 3


def test_a_cache_without_files_is_zero_bytes() -> None:
    cache = FactsCache(yanks={"foo/1.0.yank": YankFacts('"y"', "")})
    assert cache.empty
    assert cache.dumps() == b""
    assert FactsCache.parse(b"") == FactsCache()
    assert cache.pages(FOO) is None


@pytest.mark.parametrize(
    "data",
    [
        b"not gzip",
        gzip.compress(b"not json"),
        gzip.compress(b"[]"),
        gzip.compress(b'{"schema": 99, "files": {}}'),
        gzip.compress(b'{"schema": 2}'),
        gzip.compress(b'{"schema": 2, "files": {"x": {"etag": 1}}, "yanks": {}}'),
        json.dumps({"schema": 1, "files": {}, "yanks": {}}).encode(),  # an older pyshelf's
    ],
)
def test_unreadable_cache_is_none_or_empty(data: bytes) -> None:
    assert FactsCache.parse(data) is None
    assert FactsCache.loads(data) == FactsCache()


def test_facts_describe_only_the_same_object() -> None:
    facts = FileFacts('"e"', 10, "aa" * 32)
    assert facts.describes('"e"', 10)
    assert not facts.describes('"e2"', 10)
    assert not facts.describes('"e"', 11)
