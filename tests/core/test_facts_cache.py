from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from pyshelf.core import facts_cache, render
from pyshelf.core.facts_cache import Entry, FactsCache, YankFacts
from pyshelf.core.facts_entries import Entries
from pyshelf.core.filenames import parse_distribution
from pyshelf.core.page_model import FileFacts, Listed, build_project_page

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
FOO = canonicalize_name("foo")


def sample() -> FactsCache:
    return FactsCache(
        files=Entries(
            {
                "foo-1.0.tar.gz": Entry(FileFacts('"e2"', 5, "aa" * 32), T0),
                "foo-1.0-py3-none-any.whl": Entry(
                    FileFacts('"e1"', 9, "bb" * 32, ">=3.9", "cc" * 32, '"m"'), T0
                ),
                "foo-2.0-py3-none-any.whl": Entry(FileFacts('"e3"', 7, "dd" * 32), T0),
            }
        ),
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


def wheel_entry(version: str, etag: str = '"e"') -> tuple[str, Entry]:
    return f"foo-{version}-py3-none-any.whl", Entry(FileFacts(etag, 1, "ab" * 32), T0)


def stored_names(data: bytes) -> list[str]:
    return list(json.loads(gzip.decompress(data))["files"])


def test_files_are_stored_in_page_order_and_a_new_one_is_placed_in_it() -> None:
    cache = FactsCache(Entries(dict(map(wheel_entry, ["10.0", "2.0", "1.0rc1", "1.0"]))))
    data = cache.dumps()
    assert stored_names(data) == [
        "foo-1.0rc1-py3-none-any.whl",
        "foo-1.0-py3-none-any.whl",
        "foo-2.0-py3-none-any.whl",
        "foo-10.0-py3-none-any.whl",
    ]
    again = FactsCache.loads(data)
    name, entry = wheel_entry("1.5")
    again.files[name] = entry
    assert stored_names(again.dumps())[2] == name
    html, _ = again.pages(FOO) or (b"", b"")
    assert html.index(b"foo-1.0-py3") < html.index(b"foo-1.5-py3") < html.index(b"foo-2.0-py3")


def test_many_new_files_at_once_are_placed_too() -> None:
    cache = FactsCache(Entries(dict(map(wheel_entry, ["5.0", "1.0"]))))
    again = FactsCache.loads(cache.dumps())
    for minor in reversed(range(100)):
        name, entry = wheel_entry(f"3.{minor}")
        again.files[name] = entry
    names = stored_names(again.dumps())
    assert names == sorted(names, key=lambda n: Version(parse_distribution(n).version.public))


def test_a_cache_stored_by_name_by_an_older_pyshelf_is_read_in_page_order() -> None:
    cache = FactsCache(Entries(dict(map(wheel_entry, ["10.0", "9.0"]))))
    document = json.loads(gzip.decompress(cache.dumps()))
    document["files"] = dict(sorted(document["files"].items()))  # 10.0 before 9.0
    del document["order"]
    old = FactsCache.loads(gzip.compress(json.dumps(document).encode()))
    assert stored_names(old.dumps()) == ["foo-9.0-py3-none-any.whl", "foo-10.0-py3-none-any.whl"]


def test_entries_stay_as_read_until_looked_up(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = FactsCache(Entries(dict(map(wheel_entry, ["1.0", "2.0", "3.0"]))))
    again = FactsCache.loads(cache.dumps())
    looked_at: list[object] = []

    def rendered_of(value: object) -> None:
        looked_at.append(value)

    monkeypatch.setattr(facts_cache, "rendered_of", rendered_of)
    assert again.refresh() == 0  # the cache said every fragment is fresh: none looked at
    assert looked_at == []
    monkeypatch.undo()
    name, entry = wheel_entry("4.0")
    again.files[name] = entry
    assert again.refresh() == 1
    again.pages(FOO)
    again.dumps()
    kinds = {n: type(again.files.raw(n)).__name__ for n in again.files}
    assert kinds == {
        "foo-1.0-py3-none-any.whl": "dict",
        "foo-2.0-py3-none-any.whl": "dict",
        "foo-3.0-py3-none-any.whl": "dict",
        "foo-4.0-py3-none-any.whl": "Entry",
    }


def test_a_cache_that_says_fresh_without_a_fragment_still_lists_the_file() -> None:
    cache = FactsCache(Entries(dict(map(wheel_entry, ["1.0", "2.0"]))))
    document = json.loads(gzip.decompress(cache.dumps()))
    assert document["fresh"] == render.FRAGMENT_VERSION
    del document["files"]["foo-2.0-py3-none-any.whl"]["rendered"]
    damaged = FactsCache.loads(gzip.compress(json.dumps(document).encode()))
    html, _ = damaged.pages(FOO) or (b"", b"")
    assert b"foo-2.0-py3-none-any.whl" in html


def test_the_listed_count_follows_rejections() -> None:
    cache = FactsCache(Entries(dict(map(wheel_entry, ["1.0", "2.0"]))))
    again = FactsCache.loads(cache.dumps())
    assert again.listed == 2
    name = "foo-3.0-py3-none-any.whl"
    again.files[name] = Entry(FileFacts('"x"', 1, "ab" * 32, rejected="not a zip"), T0)
    assert again.listed == 2
    again.files[name] = Entry(FileFacts('"y"', 1, "ab" * 32), T0)
    assert again.listed == 3
    del again.files["foo-1.0-py3-none-any.whl"]
    assert again.listed == 2
    del again.files[name]
    assert (again.listed, again.empty) == (1, False)
