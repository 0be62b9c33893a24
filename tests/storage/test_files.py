"""put_file: one PUT below the threshold, else parts, with progress as bytes are stored."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from pyshelf.storage import Blob, PreconditionFailed
from pyshelf.storage.base import MIN_PART_SIZE
from pyshelf.storage.files import put_file
from pyshelf.storage.memory import MemoryStore

MiB = 1024 * 1024


def test_small_file_is_one_put(tmp_path: Path) -> None:
    store, path = MemoryStore(), tmp_path / "a"
    path.write_bytes(b"small")
    steps: list[int] = []
    etag = put_file(
        store, "k", path, content_type="x/y", cache_control="no-store", metadata={"a": "b"},
        advance=steps.append,
    )  # fmt: skip
    assert etag == f'"{hashlib.md5(b"small").hexdigest()}"'
    assert steps == [5]
    stored = store.stored("k")
    assert stored is not None
    assert (stored.body, stored.content_type, stored.cache_control) == (b"small", "x/y", "no-store")
    assert stored.metadata == {"a": "b"}


def test_large_file_goes_in_parts_with_progress_per_stored_part(tmp_path: Path) -> None:
    store, path = MemoryStore(), tmp_path / "a"
    data = bytes(range(256)) * (11 * MiB // 256)
    path.write_bytes(data)
    steps: list[int] = []
    etag = put_file(
        store, "k", path, content_type="x/y", part_size=MIN_PART_SIZE,
        multipart_threshold=6 * MiB, advance=steps.append,
    )  # fmt: skip
    assert etag.endswith('-3"')
    assert steps == [5 * MiB, 5 * MiB, MiB]
    blob = store.get("k")
    assert blob is not None
    assert blob.body == data


@pytest.mark.parametrize("threshold", [1, 1 << 40], ids=["parts", "one PUT"])
@pytest.mark.parametrize("condition", [{"if_none_match": True}, {"if_match": '"other"'}])
def test_conditions_reach_the_store(
    tmp_path: Path, threshold: int, condition: dict[str, Any]
) -> None:
    store, path = MemoryStore(), tmp_path / "a"
    path.write_bytes(b"x" * (MIN_PART_SIZE + 1))
    first = store.put("k", b"first", content_type="x/y")
    with pytest.raises(PreconditionFailed):
        put_file(store, "k", path, content_type="x/y", multipart_threshold=threshold, **condition)
    assert store.get("k") == Blob(b"first", first)


def test_empty_file_is_one_put_even_with_threshold_zero(tmp_path: Path) -> None:
    store, path = MemoryStore(), tmp_path / "a"
    path.write_bytes(b"")
    assert put_file(store, "k", path, content_type="x/y", multipart_threshold=0) == (
        f'"{hashlib.md5(b"").hexdigest()}"'
    )
