"""Reading what the indexer wrote, for assertions; and a store that records its calls."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

from pyshelf.storage import Blob, Head, ObjectInfo, Storage
from pyshelf.storage.memory import MemoryStore


def body(store: Storage, key: str) -> bytes:
    blob = store.get(key)
    assert blob is not None, f"{key} is missing"
    return blob.body


def page(store: Storage, key: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(body(store, key))
    return data


def keys_in(store: Storage, prefix: str = "") -> set[str]:
    return {item.key for item in store.list(prefix)}


def put(store: Storage, key: str, data: bytes) -> None:
    """Upload like `aws s3 cp` would: unconditional, no headers of ours."""
    store.put(key, data, content_type="binary/octet-stream")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def root_names(store: Storage) -> list[str]:
    return [p["name"] for p in page(store, "index.json")["projects"]]


def files_of(store: Storage, project: str) -> dict[str, dict[str, Any]]:
    return {f["filename"]: f for f in page(store, f"{project}/index.json")["files"]}


class RecordingStore(MemoryStore):
    """The same objects as `inner`, recording every call as "method key" (or "list prefix")."""

    def __init__(self, inner: MemoryStore) -> None:
        super().__init__(inner.bucket, inner.contents)
        self.calls: list[str] = []

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        self.calls.append(f"list {prefix}")
        return super().list(prefix)

    def head(self, key: str) -> Head | None:
        self.calls.append(f"head {key}")
        return super().head(key)

    def get(self, key: str) -> Blob | None:
        self.calls.append(f"get {key}")
        return super().get(key)

    def download(self, key: str, into: IO[bytes], *, if_match: str | None) -> ObjectInfo:
        self.calls.append(f"download {key}")
        return super().download(key, into, if_match=if_match)

    def put(self, key: str, body: bytes, **kwargs: Any) -> str:
        self.calls.append(f"put {key}")
        return super().put(key, body, **kwargs)

    def put_parts(self, key: str, parts: Iterable[bytes], **kwargs: Any) -> str:
        self.calls.append(f"put_parts {key}")
        return super().put_parts(key, parts, **kwargs)

    def copy(self, source: str, target: str) -> str:
        self.calls.append(f"copy {source} {target}")
        return super().copy(source, target)

    def delete(self, key: str) -> None:
        self.calls.append(f"delete {key}")
        super().delete(key)
