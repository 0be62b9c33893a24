"""The private set (pure): the project names of this index, as keys of the CloudFront
KeyValueStore that the edge reads to decide whether a project page is served here or falls
through to PyPI (docs/fallthrough.md).

Each private name is one key, `project:<normalized name>`, whose value says why it is private:
`live` (the project has files here) or `reserved` (its files were all deleted; the name stays
ours until `pyshelf release-name` frees it). Both keep the name from falling through. Only the
indexer writes these keys.
"""

from __future__ import annotations

from typing import Literal

from packaging.utils import NormalizedName, canonicalize_name

PROJECT_KEY_PREFIX = "project:"
State = Literal["live", "reserved"]
LIVE: State = "live"
RESERVED: State = "reserved"
STATES: tuple[State, ...] = (LIVE, RESERVED)


def project_key(name: str) -> str:
    """The store key of a project name (normalized here: `Foo_Bar` and `foo-bar` are one)."""
    return PROJECT_KEY_PREFIX + canonicalize_name(name, validate=True)


def project_of_key(key: str) -> NormalizedName | None:
    """The name a store key holds, or None for a key that is not exactly a project key."""
    if not key.startswith(PROJECT_KEY_PREFIX):
        return None
    name = key.removeprefix(PROJECT_KEY_PREFIX)
    try:
        normalized = canonicalize_name(name, validate=True)
    except ValueError:
        return None
    return normalized if normalized == name else None
