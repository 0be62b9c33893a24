"""Where moto's S3 differs from S3 in a way the indexer can see, and the fix; and the one thing
`serve --data` needs that no S3 API offers (setting an object's LastModified on restore).

In a versioned bucket, deleting an object (without a version ID) creates a delete marker and S3
sends `s3:ObjectRemoved:DeleteMarkerCreated`; moto 5.2 sends nothing, so `aws s3 rm` would never
reach the indexer. `install()` wraps moto's `delete_object` to send that event when a live
object got a delete marker. It patches the in-process emulator only (moto server runs in our
process) and is idempotent.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.s3 import models, notifications

_MARKER = "_pyshelf_delete_marker_events"


def install() -> None:
    original = models.S3Backend.delete_object
    if getattr(original, _MARKER, False):
        return

    @functools.wraps(original)
    def delete_object(self: Any, bucket_name: str, key_name: str, *args: Any, **kw: Any) -> Any:
        previous = _live_object(self, bucket_name, key_name)
        result = original(self, bucket_name, key_name, *args, **kw)
        _deleted, meta = result
        if previous is not None and meta.get("delete-marker") == "true" and _no_version(args, kw):
            bucket = self.get_bucket(bucket_name)
            notifications.send_event(
                self.account_id,
                notifications.S3NotificationEvent.OBJECT_REMOVED_DELETE_MARKER_CREATED_EVENT,
                bucket,
                previous,
            )
        return result

    setattr(delete_object, _MARKER, True)
    setattr(models.S3Backend, "delete_object", delete_object)  # noqa: B010 - a patch, on purpose


def _live_object(backend: Any, bucket_name: str, key_name: str) -> Any:
    """The current version of the key if it is an object (not a delete marker), else None."""
    try:
        bucket = backend.get_bucket(bucket_name)
    except Exception:  # moto raises its own MissingBucket; the original call reports it
        return None
    if not getattr(bucket, "is_versioned", False):
        return None
    current = bucket.keys.get(key_name)
    return current if isinstance(current, models.FakeKey) else None


def _no_version(args: tuple[Any, ...], kw: dict[str, Any]) -> bool:
    version_id = kw.get("version_id", args[0] if args else None)
    return version_id is None


def set_last_modified(bucket: str, key: str, when: datetime) -> bool:
    """Give the current version of a key in the in-process emulator this LastModified (the
    index's upload-time), as when it was first uploaded. False if there is no such object."""
    backend = models.s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    try:
        current = backend.get_bucket(bucket).keys.get(key)
    except Exception:  # moto's MissingBucket
        return False
    if not isinstance(current, models.FakeKey):
        return False
    current.last_modified = when.astimezone(UTC).replace(tzinfo=None)  # moto keeps naive UTC
    return True
