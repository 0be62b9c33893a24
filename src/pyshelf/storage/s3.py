"""`Storage` over boto3 S3: the only module of the core that talks to AWS."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import IO, TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from pyshelf.storage import SHA256_META, Blob, Head, NotFound, ObjectInfo, PreconditionFailed
from pyshelf.storage.base import numbered_parts

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CompletedPartTypeDef

_PRECONDITION = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}
_MISSING = {"NoSuchKey", "404", "NotFound"}
COPY_LIMIT = 5 * 1024**3
NOT_MODIFIED = 304


def error_code(exc: ClientError) -> str:
    """S3's error code (for HEAD requests, which have no body, the HTTP status as text)."""
    return str(exc.response.get("Error", {}).get("Code", ""))


def is_missing(exc: ClientError) -> bool:
    """True for S3's "no such key" answers (404, NoSuchKey, NotFound)."""
    return error_code(exc) in _MISSING


class S3Store:
    def __init__(self, client: S3Client, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def list(self, prefix: str) -> Iterator[ObjectInfo]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                yield ObjectInfo(item["Key"], item["ETag"], item["Size"], item["LastModified"])

    def head(self, key: str) -> Head | None:
        try:
            response = self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if is_missing(exc):
                return None
            raise
        return Head(
            response["ETag"],
            response.get("Metadata", {}).get(SHA256_META),
            response.get("ContentLength"),
        )

    def get(self, key: str) -> Blob | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if is_missing(exc):
                return None
            raise
        return Blob(response["Body"].read(), response["ETag"])

    def get_unless(self, key: str, etag: str | None) -> Blob | None:
        if etag is None:
            return self.get(key)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key, IfNoneMatch=etag)
        except ClientError as exc:
            if exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == NOT_MODIFIED:
                return Blob(b"", etag, unchanged=True)
            if is_missing(exc):
                return None
            raise
        return Blob(response["Body"].read(), response["ETag"])

    def download(self, key: str, into: IO[bytes], *, if_match: str | None) -> ObjectInfo:
        condition = _condition(if_match, if_none_match=False)
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key, **condition)
        except ClientError as exc:
            raise_expected(exc, key)
            raise
        for chunk in response["Body"].iter_chunks(1024 * 1024):
            into.write(chunk)
        return ObjectInfo(
            key, response["ETag"], response["ContentLength"], response["LastModified"]
        )

    def put(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str,
        cache_control: str | None = None,
        metadata: Mapping[str, str] | None = None,
        if_match: str | None = None,
        if_none_match: bool = False,
        content_encoding: str | None = None,
    ) -> str:
        extra = _headers(content_type, cache_control, metadata, content_encoding)
        extra |= _condition(if_match, if_none_match)
        try:
            response = self.client.put_object(Bucket=self.bucket, Key=key, Body=body, **extra)
        except ClientError as exc:
            raise_expected(exc, key)
            raise
        return response["ETag"]

    def put_parts(
        self,
        key: str,
        parts: Iterable[bytes],
        *,
        content_type: str,
        cache_control: str | None = None,
        metadata: Mapping[str, str] | None = None,
        if_match: str | None = None,
        if_none_match: bool = False,
        content_encoding: str | None = None,
    ) -> str:
        headers = _headers(content_type, cache_control, metadata, content_encoding)
        created = self.client.create_multipart_upload(Bucket=self.bucket, Key=key, **headers)
        upload_id = created["UploadId"]
        try:
            done = _upload_parts(self.client, self.bucket, key, upload_id, parts)
            response = self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": done},
                **_condition(if_match, if_none_match),
            )
        except BaseException as exc:  # also KeyboardInterrupt: never leave parts behind
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            if isinstance(exc, ClientError):
                raise_expected(exc, key)
            raise
        return response["ETag"]

    def copy(self, source: str, target: str) -> str:
        try:
            size = self.client.head_object(Bucket=self.bucket, Key=source)["ContentLength"]
            if size > COPY_LIMIT:  # CopyObject stops at 5 GiB: managed multipart copy
                self.client.copy({"Bucket": self.bucket, "Key": source}, self.bucket, target)
                return self.client.head_object(Bucket=self.bucket, Key=target)["ETag"]
            response = self.client.copy_object(
                Bucket=self.bucket,
                Key=target,
                CopySource={"Bucket": self.bucket, "Key": source},
                MetadataDirective="COPY",
                IfNoneMatch="*",
            )
        except ClientError as exc:
            raise_expected(exc, source)
            raise
        return response["CopyObjectResult"]["ETag"]

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)


def _upload_parts(
    client: S3Client, bucket: str, key: str, upload_id: str, parts: Iterable[bytes]
) -> list[CompletedPartTypeDef]:
    done: list[CompletedPartTypeDef] = []
    for number, part in numbered_parts(key, parts):
        response = client.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=part
        )
        done.append({"ETag": response["ETag"], "PartNumber": number})
    return done


def _headers(
    content_type: str,
    cache_control: str | None,
    metadata: Mapping[str, str] | None,
    content_encoding: str | None,
) -> dict[str, Any]:
    headers: dict[str, Any] = {"ContentType": content_type, "Metadata": dict(metadata or {})}
    if cache_control:
        headers["CacheControl"] = cache_control
    if content_encoding:
        headers["ContentEncoding"] = content_encoding
    return headers


def _condition(if_match: str | None, if_none_match: bool) -> dict[str, Any]:
    condition: dict[str, Any] = {"IfMatch": if_match} if if_match else {}
    if if_none_match:
        condition["IfNoneMatch"] = "*"
    return condition


def raise_expected(exc: ClientError, key: str) -> None:
    """Raise PreconditionFailed or NotFound for those answers; return for any other error."""
    code = error_code(exc)
    if code in _PRECONDITION:
        raise PreconditionFailed(key) from exc
    if code in _MISSING:
        raise NotFound(key) from exc
