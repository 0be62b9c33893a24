"""`pyshelf serve`'s token store: in memory, and with `--data DIR` also in
`DIR/.pyshelf-kvs.json`, rewritten (atomically) after every write, read back on start.

The file holds what the store holds: token records keyed by the SHA-256 of each token, never a
token itself.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import tempfile
from pathlib import Path

from pyshelf.access.memory import MemoryKeyValueStore
from pyshelf.core.errors import PyshelfError
from pyshelf.local.datadir import KVS_FILE, PARTIAL_DIR

log = logging.getLogger(__name__)


class StateError(PyshelfError, RuntimeError):
    """The store's file cannot be read; the message names it."""


def open_store(data: Path | None) -> MemoryKeyValueStore:
    if data is None:
        return MemoryKeyValueStore()
    path = data / KVS_FILE
    return MemoryKeyValueStore(_read(path), on_change=functools.partial(_write, path))


def _read(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise StateError(f"cannot read the token store {path}: {exc.strerror}") from None
    try:
        items = json.loads(text)["items"]
    except (ValueError, KeyError, TypeError):
        items = None
    if not isinstance(items, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in items.items()
    ):
        raise StateError(f"the token store {path} is not a pyshelf token store file")
    return items


def _write(path: Path, items: dict[str, str]) -> None:
    """Replace the file; on failure log it (the next write tries again, memory stays right)."""
    partial_dir = path.parent / PARTIAL_DIR
    try:
        partial_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=partial_dir, delete=False
        ) as partial:
            json.dump({"items": items}, partial, indent=1, sort_keys=True)
        os.replace(partial.name, path)
    except OSError as exc:
        log.error("token store not saved to %s: %s", path, exc)
