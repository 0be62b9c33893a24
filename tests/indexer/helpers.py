"""Reading what the indexer wrote, for assertions."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pyshelf.storage.s3 import S3Store


def body(store: S3Store, key: str) -> bytes:
    return store.client.get_object(Bucket=store.bucket, Key=key)["Body"].read()


def page(store: S3Store, key: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(body(store, key))
    return data


def keys_in(store: S3Store, prefix: str = "") -> set[str]:
    return {item.key for item in store.list(prefix)}


def put(store: S3Store, key: str, data: bytes) -> None:
    store.client.put_object(Bucket=store.bucket, Key=key, Body=data)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def root_names(store: S3Store) -> list[str]:
    return [p["name"] for p in page(store, "index.json")["projects"]]


def files_of(store: S3Store, project: str) -> dict[str, dict[str, Any]]:
    return {f["filename"]: f for f in page(store, f"{project}/index.json")["files"]}
