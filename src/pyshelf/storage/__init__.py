"""The one storage seam: the `Storage` Protocol, its errors and rows (`base`), implemented over
boto3 S3 (`s3`) and in memory (`memory`, for tests; not imported here, so never in the Lambda).
`files.put_file` writes a local file through any of them."""

from pyshelf.storage.base import (
    SHA256_META,
    Blob,
    Head,
    NotFound,
    ObjectInfo,
    PreconditionFailed,
    Storage,
    StorageError,
)

__all__ = [
    "SHA256_META",
    "Blob",
    "Head",
    "NotFound",
    "ObjectInfo",
    "PreconditionFailed",
    "Storage",
    "StorageError",
]
