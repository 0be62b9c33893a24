"""Render time and gzipped size of the human project page (docs/pages.md) at N files.

The indexer renders each file's row once (into the facts cache) and joins the rows on every
event; this times that join (`FactsCache.page_bodies`: the two API pages and the human page,
fragments already rendered), and the human page alone, median of 5 after one warm-up. Two shapes:
`releases` (5 files a release: 3 wheels of different platforms, a universal wheel and an sdist)
and `one-per-release` (every file its own release: the most release headers). The latest
release has a summary, links and 30 classifiers.

    python bench/human_page.py                 # N = 100, 1000, 5000
    python bench/human_page.py --n 20000

Exits 1 if a page of 5,000 files or fewer takes 0.3 s or more, or is 1 MB or more gzipped.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
from packaging.utils import canonicalize_name

from pyshelf.core import human as core_human
from pyshelf.core import layout
from pyshelf.core.facts_cache import Entry, FactsCache, YankFacts, _by_release
from pyshelf.core.page_model import FileFacts
from pyshelf.core.release_info import ReleaseInfo

PROJECT = canonicalize_name("big-project")
T0 = datetime(2026, 1, 1, tzinfo=UTC)
MAX_SECONDS = 0.3
MAX_GZIPPED = 1_000_000
PLATFORMS = ("manylinux_2_17_x86_64.manylinux2014_x86_64", "macosx_11_0_arm64", "win_amd64")


def filenames(n: int, per_release: int) -> list[str]:
    names: list[str] = []
    release = 0
    while len(names) < n:
        version = f"{release // 100}.{release % 100}.0"
        if per_release == 1:
            candidates = [f"big_project-{version}-py3-none-any.whl"]
        else:
            candidates = [f"big_project-{version}-cp312-cp312-{p}.whl" for p in PLATFORMS]
            candidates += [f"big_project-{version}-py3-none-any.whl"]
            candidates += [f"big_project-{version}.tar.gz"]
        names += candidates[:per_release]
        release += 1
    return names[:n]


def cache_of(n: int, per_release: int) -> FactsCache:
    cache = FactsCache()
    for i, name in enumerate(filenames(n, per_release)):
        sha = hashlib.sha256(str(i).encode()).hexdigest()
        facts = FileFacts(f'"{sha[:32]}"', 100_000 + i, sha, ">=3.9", sha, f'"{i}"')
        cache.files[name] = Entry(facts, T0 + timedelta(minutes=i))
    versions = sorted({n.split("-")[1].removesuffix(".tar.gz") for n in cache.files})
    cache.yanks[f"{PROJECT}/{versions[0]}.yank"] = YankFacts('"y"', "broken on Windows")
    classifiers = tuple(
        f"Topic :: Software Development :: Libraries :: Item {i}" for i in range(30)
    )
    links = (("Source", "https://git.example.com/big"), ("Docs", "https://docs.example.com/"))
    for version in versions:
        cache.releases[version] = ReleaseInfo(
            "A big project", "Someone", "MIT", links, classifiers, True
        )
    cache.refresh()  # the rows, rendered once as the indexer does when it learns each file
    return cache


def median_seconds(action: Callable[[], object]) -> float:
    action()
    times = []
    for _ in range(5):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[100, 1000, 5000])
    args = parser.parse_args()
    head = ("shape", "N", "all pages s", "human s", "cold s", "human KiB", "gzip KiB")
    print("{:<16} {:>6} {:>12} {:>8} {:>8} {:>10} {:>9}".format(*head))
    failed = False
    for n in args.n:
        for shape, per_release in (("releases", 5), ("one-per-release", 1)):
            cache = cache_of(n, per_release)
            key = layout.human_page_key(PROJECT)
            all_pages = median_seconds(partial(cache.page_bodies, PROJECT))
            rows = cache._rows()  # the join alone
            assert rows is not None  # every fragment was rendered by the first page_bodies
            releases = _by_release(rows)
            human = median_seconds(partial(cache._human_page, PROJECT, releases))
            started = time.perf_counter()  # a cold process: no row or section remembered
            core_human.cached_file_row.cache_clear()
            core_human._release_section.cache_clear()
            cache._human_page(PROJECT, releases)
            cold = time.perf_counter() - started
            page = cache.page_bodies(PROJECT)[key]
            zipped = len(gzip.compress(page, 6))
            print(
                f"{shape:<16} {n:>6} {all_pages:>12.3f} {human:>8.3f} {cold:>8.3f} "
                f"{len(page) / 1024:>10.1f} {zipped / 1024:>9.1f}"
            )
            if n <= 5000 and (cold >= MAX_SECONDS or zipped >= MAX_GZIPPED):
                failed = True
    if failed:
        print(f"FAIL: a page of <= 5000 files: {MAX_SECONDS} s or {MAX_GZIPPED} bytes gzipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
