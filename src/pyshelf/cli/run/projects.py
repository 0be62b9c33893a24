"""Named projects that are not in the bucket: the closest published names, for every command
that names projects and finds one missing."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from pyshelf.cli.run.connection import Connection
from pyshelf.publish.index_reader import BucketIndex

SUGGESTIONS = 3


def published_names(connection: Connection) -> list[str]:
    """The projects on the published root page (none before the first page is written)."""
    return BucketIndex(connection.store).projects() or []


def did_you_mean(unknown: Iterable[str], published: list[str]) -> str:
    """`; did you mean: a, b?` with the published names closest to the unknown ones, or
    a pointer to `pyshelf list` when none is close."""
    close = {
        match
        for name in unknown
        for match in difflib.get_close_matches(name, published, n=SUGGESTIONS)
    }
    if close:
        return f"; did you mean: {', '.join(sorted(close))}?"
    return " (`pyshelf list` shows the published projects)"
