"""The seam for the CloudFront KeyValueStore data plane, and its limits.

Optimistic concurrency is per store, as in the real API: the store has one ETag (read with
`etag()`, DescribeKeyValueStore), every write names the ETag it was computed from (`if_match`,
the If-Match header of PutKey/DeleteKey/UpdateKeys) and returns the store's new ETag. A write
whose ETag is not the current one raises `ETagMismatch` and changes nothing. Reads carry no
ETag (GetKey returns none): read the ETag first, then the keys, then write with that ETag.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from pyshelf.core.errors import PyshelfError

MAX_KEY_BYTES = 512  # CloudFront KeyValueStore quotas
MAX_VALUE_BYTES = 1024
MAX_UPDATE_ITEMS = 50  # puts + deletes in one UpdateKeys call


class KeyValueStoreError(PyshelfError, RuntimeError):
    """The store refused an operation; the message says why."""


class ETagMismatch(KeyValueStoreError):
    """A write named an ETag that is no longer the store's (someone else wrote first)."""


class StoreNotFound(KeyValueStoreError):
    """No store has this ARN (or this identity cannot see it)."""


class KeyNotFound(KeyValueStoreError):
    """DeleteKey named a key the store does not have."""


class InvalidWrite(KeyValueStoreError):
    """A key or value outside the store's limits (ValidationException)."""


class KeyValueStore(Protocol):
    def etag(self) -> str:
        """The store's current ETag."""
        ...

    def get(self, key: str) -> str | None:
        """The value of `key`, or None when there is no such key."""
        ...

    def list(self, prefix: str = "") -> dict[str, str]:
        """Every key starting with `prefix` and its value, in key order."""
        ...

    def put(self, key: str, value: str, *, if_match: str) -> str:
        """Set one key; return the store's new ETag."""
        ...

    def delete(self, key: str, *, if_match: str) -> str:
        """Remove one existing key (`KeyNotFound` otherwise); return the new ETag."""
        ...

    def update(self, *, puts: Mapping[str, str], deletes: Iterable[str] = (), if_match: str) -> str:
        """Put and delete several keys at once (all or nothing); return the new ETag."""
        ...


def check_key(key: str) -> None:
    if not 1 <= len(key.encode("utf-8")) <= MAX_KEY_BYTES:
        raise InvalidWrite(f"key {key[:40]!r}: 1 to {MAX_KEY_BYTES} bytes")


def check_value(key: str, value: str) -> None:
    size = len(value.encode("utf-8"))
    if size > MAX_VALUE_BYTES:
        raise InvalidWrite(f"value of {key[:40]!r}: {size} bytes, over {MAX_VALUE_BYTES}")
