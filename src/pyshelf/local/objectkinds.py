"""Headers an object gets when `pyshelf serve --data` puts it back into the bucket (pure): those
of its kind in the bucket layout (docs/layout.md), since S3 headers are not kept on disk."""

from __future__ import annotations

import mimetypes

from pyshelf import keys

TEXT_TYPE = "text/plain; charset=utf-8"


def restore_headers(key: str) -> tuple[str, str | None]:
    """(Content-Type, Cache-Control or None) for a key."""
    info = keys.classify(key)
    if info.kind == "page":
        page_type = keys.JSON_TYPE if key.endswith(keys.ROOT_JSON) else keys.HTML_TYPE
        return page_type, keys.PAGE_CACHE_CONTROL
    if info.kind == "metadata":
        return keys.METADATA_TYPE, keys.IMMUTABLE_CACHE_CONTROL
    if info.kind == "manifest":
        return keys.MANIFEST_TYPE, None
    if info.kind == "distribution":
        return keys.distribution_content_type(key), keys.IMMUTABLE_CACHE_CONTROL
    if info.kind == "yank":
        return TEXT_TYPE, None
    return mimetypes.guess_type(key)[0] or keys.DISTRIBUTION_TYPE, None
