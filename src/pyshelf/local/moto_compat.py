"""Where moto's S3 differs from S3 in a way pyshelf can see, and the fix; and the one thing
`serve --data` needs that no S3 API offers (setting an object's LastModified on restore).

`install()` patches moto's S3 (the in-process server of `pyshelf serve`, and `mock_aws` in the
tests), once, for moto 5.2:

- In a versioned bucket, deleting an object (without a version ID) creates a delete marker and S3
  sends `s3:ObjectRemoved:DeleteMarkerCreated`; moto sends nothing, so `aws s3 rm` would never
  reach the indexer. The patch sends it when a live object got a delete marker.
- CopyObject copies the source's checksum value but not its type and part count: the copy of a
  multipart upload (`aws s3 cp` of 8 MiB or more) then carries a composite checksum as if it
  were the whole object's, and every GET of it fails botocore's check (FlexibleChecksumError).
  The patch copies the type and part count too (unless the copy asked for a checksum of its own).
- CompleteMultipartUpload ignores If-Match; S3 answers 404 NoSuchKey when there is no object,
  412 PreconditionFailed when its ETag differs (as for PutObject).
- CopyObject ignores `If-None-Match: *`; S3 answers 412 when the target exists.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.s3 import exceptions, models, notifications, responses

_MARKER = "_pyshelf_compat"
Method = Callable[..., Any]


def install() -> None:
    """Patch moto's S3 (idempotent)."""
    _patch(models.S3Backend, "delete_object", _sending_delete_marker_events)
    _patch(responses.S3Response, "_key_response_post", _checking_if_match_on_complete)
    _patch(responses.S3Response, "copy_object", _copying_as_s3_does)


def _patch(owner: type, name: str, wrap: Callable[[Method], Method]) -> None:
    original = getattr(owner, name)
    if getattr(original, _MARKER, False):
        return
    patched = functools.wraps(original)(wrap(original))
    setattr(patched, _MARKER, True)
    setattr(owner, name, patched)


def _sending_delete_marker_events(original: Method) -> Method:
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

    return delete_object


def _checking_if_match_on_complete(original: Method) -> Method:
    def key_response_post(self: Any, request: Any, *args: Any) -> Any:
        _body, bucket, query, key = args
        if_match = request.headers.get("If-Match")
        if query.get("uploadId") and if_match:
            current = self.backend.get_object(bucket, key)
            if not isinstance(current, models.FakeKey):
                raise exceptions.MissingKey(key)
            if current.etag.strip('"') != if_match.strip('"'):
                raise exceptions.PreconditionFailed("If-Match")
        return original(self, request, *args)

    return key_response_post


def _copying_as_s3_does(original: Method) -> Method:
    def copy_object(self: Any) -> Any:
        if self.headers.get("If-None-Match") == "*":
            target = self.backend.get_object(self.bucket_name, self.parse_key_name())
            if isinstance(target, models.FakeKey):
                raise exceptions.PreconditionFailed("If-None-Match")
        result = original(self)
        _copy_checksum_details(self)
        return result

    return copy_object


def _copy_checksum_details(response: Any) -> None:
    """Give the copy its source's checksum type and part count, with the value moto copied from
    it (not when the copy asked for a checksum of its own: moto computed that one whole)."""
    source_url = urlparse(str(response.headers.get("x-amz-copy-source")))
    bucket, key = unquote(source_url.path).lstrip("/").split("/", 1)
    version = parse_qs(source_url.query).get("versionId", [None])[0]
    source = response.backend.get_object(bucket, key, version_id=version)
    copy = response.backend.get_object(response.bucket_name, response.parse_key_name())
    if source is not None and copy is not None and copy.checksum_value == source.checksum_value:
        copy.checksum_type = source.checksum_type
        copy.checksum_parts = source.checksum_parts


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
