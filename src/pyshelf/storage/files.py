"""Write a local file through the `Storage` seam: one PUT, or parts when it is large, so a big
file is never held in memory whole."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import IO

from pyshelf.storage.base import Storage

PART_SIZE = 8 * 1024 * 1024
MULTIPART_THRESHOLD = 16 * 1024 * 1024

Advance = Callable[[int], None]


def put_file(
    store: Storage,
    key: str,
    path: Path,
    *,
    content_type: str,
    cache_control: str | None = None,
    metadata: Mapping[str, str] | None = None,
    if_match: str | None = None,
    if_none_match: bool = False,
    content_encoding: str | None = None,
    part_size: int = PART_SIZE,
    multipart_threshold: int = MULTIPART_THRESHOLD,
    advance: Advance | None = None,
) -> str:
    """Write the file at key and return its ETag: `store.put` below multipart_threshold bytes,
    else `store.put_parts` in parts of part_size. `advance(n)` is called once n more bytes are
    stored (after the PUT, or after each part)."""
    done = advance or _ignore
    size = path.stat().st_size
    if size < multipart_threshold or not size:
        body = path.read_bytes()
        etag = store.put(
            key,
            body,
            content_type=content_type,
            cache_control=cache_control,
            metadata=metadata,
            if_match=if_match,
            if_none_match=if_none_match,
            content_encoding=content_encoding,
        )
        done(len(body))
        return etag
    with path.open("rb") as handle:
        return store.put_parts(
            key,
            _chunks(handle, part_size, done),
            content_type=content_type,
            cache_control=cache_control,
            metadata=metadata,
            if_match=if_match,
            if_none_match=if_none_match,
            content_encoding=content_encoding,
        )


def _chunks(handle: IO[bytes], part_size: int, advance: Advance) -> Iterator[bytes]:
    while chunk := handle.read(part_size):
        yield chunk
        advance(len(chunk))  # put_parts asks for the next part once this one is stored


def _ignore(_size: int) -> None:
    pass
