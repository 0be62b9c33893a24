"""Assertions that an index equals its bucket's content (pages, `.metadata`, caches, root)."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import unquote

import pypi_simple
from packaging.utils import canonicalize_name
from storage_reads import body, keys_in, page, sha256

from pyshelf.core import layout
from pyshelf.core.facts_cache import FactsCache
from pyshelf.core.inspection import wheel_metadata
from pyshelf.storage.memory import MemoryStore

PROJECTS = ["alpha", "beta", "gamma"]


def expected_state(store: MemoryStore) -> dict[str, dict[str, str]]:
    """project -> {filename: sha256} from the bucket's real content."""
    state: dict[str, dict[str, str]] = {}
    for item in store.list(""):
        info = layout.classify(item.key)
        if isinstance(info, layout.DistributionKey) and info.filed:
            name = item.key.split("/", 1)[1]
            state.setdefault(str(info.project), {})[name] = sha256(body(store, item.key))
    return state


def assert_index_matches_bucket(store: MemoryStore) -> None:
    state = expected_state(store)
    listed = [p["name"] for p in page(store, "index.json")["projects"]] if state else []
    assert listed == sorted(state)
    if state:
        html_root = pypi_simple.IndexPage.from_html(body(store, "index.html"))
        assert html_root.projects == sorted(state)
        assert human_links(body(store, layout.HUMAN_ROOT), "/-/project/") == set(state)
    for project in PROJECTS:
        human = layout.human_page_key(canonicalize_name(project))
        if project not in state:
            assert not ({f"{project}/index.html", f"{project}/index.json"} & keys_in(store))
            assert human not in keys_in(store), human
            cache = store.get(layout.facts_cache_key(canonicalize_name(project)))
            assert cache is None or cache.body == b"", project  # none, or emptied
            continue
        files = {
            f["filename"]: f["hashes"]["sha256"]
            for f in page(store, f"{project}/index.json")["files"]
        }
        assert files == state[project], project
        html = pypi_simple.ProjectPage.from_html(project, body(store, f"{project}/index.html"))
        assert {p.filename: p.digests["sha256"] for p in html.packages} == state[project]
        assert human_links(body(store, human), f"/{project}/") == set(state[project]), human
        assert_metadata_and_cache_exact(store, project, page(store, f"{project}/index.json"))


def human_links(page_body: bytes, prefix: str) -> set[str]:
    """The names a human page links under `prefix` (files of a project page, projects of the
    root): it follows the cache like the API pages."""
    found = re.findall(rf'href="{re.escape(prefix)}([^"/]+)/?"', page_body.decode())
    return {unquote(name) for name in found}


def assert_metadata_and_cache_exact(
    store: MemoryStore, project: str, index: dict[str, Any]
) -> None:
    """Every `.metadata` is its wheel's METADATA byte for byte, with the hash the page gives, and
    the facts cache agrees with the page."""
    files = {f["filename"]: f for f in index["files"]}
    wanted = {f"{project}/{name}.metadata" for name in files if name.endswith(".whl")}
    present = {k for k in keys_in(store, f"{project}/") if k.endswith(".metadata")}
    assert present == wanted
    for key in present:
        wheel_bytes = body(store, key[: -len(".metadata")])
        expected = wheel_metadata(io.BytesIO(wheel_bytes))
        assert body(store, key) == expected, key
        entry = files[key.rsplit("/", 1)[1][: -len(".metadata")]]
        assert entry["core-metadata"] == {"sha256": sha256(expected)}
    cache = FactsCache.loads(body(store, layout.facts_cache_key(canonicalize_name(project))))
    assert {name: entry.facts.sha256 for name, entry in cache.files.items()} == {
        name: f["hashes"]["sha256"] for name, f in files.items()
    }
