"""The KeyValueStore of a CloudFront distribution, over boto3's `cloudfront-keyvaluestore`
client (DescribeKeyValueStore, GetKey, ListKeys, PutKey, DeleteKey, UpdateKeys).

The API is signed with SigV4A, which botocore computes only with `awscrt` installed
(`botocore[crt]`). It is global: the client needs a region only to exist, and `client_for`
picks us-east-1 when none is configured.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from botocore.config import Config
from botocore.exceptions import ClientError

from pyshelf.access.store import ETagMismatch, InvalidWrite, KeyNotFound, StoreNotFound

if TYPE_CHECKING:
    import boto3
    from botocore.awsrequest import AWSPreparedRequest
    from mypy_boto3_cloudfront_keyvaluestore import CloudFrontKeyValueStoreClient

SERVICE = "cloudfront-keyvaluestore"
DEFAULT_REGION = "us-east-1"
PAGE_SIZE = 50  # ListKeys' largest page
_CONFIG = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=10)


def client_for(
    session: boto3.Session, endpoint_url: str | None = None
) -> CloudFrontKeyValueStoreClient:
    """A client for the real API, or for `endpoint_url` (`pyshelf serve`'s emulator)."""
    client = session.client(
        "cloudfront-keyvaluestore",
        region_name=session.region_name or DEFAULT_REGION,
        endpoint_url=endpoint_url,
        config=_CONFIG,
    )
    if endpoint_url:
        client.meta.events.register(f"before-send.{SERVICE}", _send_to(endpoint_url))
    return client


def _send_to(endpoint_url: str) -> Callable[..., None]:
    """botocore's endpoint rules put the store's account in front of any endpoint's host
    (`http://000000000000.127.0.0.1:9000`), a name that does not resolve: connect to the
    endpoint as given instead (the signed Host header is sent unchanged)."""
    endpoint = urlsplit(endpoint_url)

    def send_to_endpoint(request: AWSPreparedRequest, **_: Any) -> None:
        url = urlsplit(request.url)
        request.url = urlunsplit(url._replace(scheme=endpoint.scheme, netloc=endpoint.netloc))

    return send_to_endpoint


class CloudFrontKeyValueStore:
    def __init__(self, client: CloudFrontKeyValueStoreClient, arn: str) -> None:
        self.client = client
        self.arn = arn

    def etag(self) -> str:
        with self._errors():
            return self.client.describe_key_value_store(KvsARN=self.arn)["ETag"]

    def get(self, key: str) -> str | None:
        """None for a missing key (GetKey answers ResourceNotFoundException, as it does for a
        missing store: read `etag()` first to tell them apart)."""
        try:
            with self._errors():
                return self.client.get_key(KvsARN=self.arn, Key=key)["Value"]
        except StoreNotFound:
            return None

    def list(self, prefix: str = "") -> dict[str, str]:
        """ListKeys has no prefix filter: every page is read and filtered here."""
        items: dict[str, str] = {}
        paginator = self.client.get_paginator("list_keys")
        with self._errors():
            pages = paginator.paginate(KvsARN=self.arn, PaginationConfig={"PageSize": PAGE_SIZE})
            for page in pages:
                for item in page.get("Items", []):
                    if item["Key"].startswith(prefix):
                        items[item["Key"]] = item["Value"]
        return dict(sorted(items.items()))

    def put(self, key: str, value: str, *, if_match: str) -> str:
        with self._errors():
            response = self.client.put_key(KvsARN=self.arn, Key=key, Value=value, IfMatch=if_match)
        return response["ETag"]

    def delete(self, key: str, *, if_match: str) -> str:
        with self._errors(missing=KeyNotFound(f"no key {key!r} in {self.arn}")):
            response = self.client.delete_key(KvsARN=self.arn, Key=key, IfMatch=if_match)
        return response["ETag"]

    def update(self, *, puts: Mapping[str, str], deletes: Iterable[str] = (), if_match: str) -> str:
        with self._errors():
            response = self.client.update_keys(
                KvsARN=self.arn,
                IfMatch=if_match,
                Puts=[{"Key": key, "Value": value} for key, value in puts.items()],
                Deletes=[{"Key": key} for key in deletes],
            )
        return response["ETag"]

    @contextmanager
    def _errors(self, missing: Exception | None = None) -> Iterator[None]:
        """The API's ConflictException, ResourceNotFoundException and ValidationException as
        the seam's errors; anything else (access denied, throttling...) stays a ClientError."""
        try:
            yield
        except ClientError as exc:
            code, message = _code(exc), exc.response.get("Error", {}).get("Message") or ""
            if code == "ConflictException":
                raise ETagMismatch(f"{self.arn} changed meanwhile ({message})") from None
            if code == "ResourceNotFoundException":
                raise missing or StoreNotFound(f"no KeyValueStore {self.arn}") from None
            if code == "ValidationException":
                raise InvalidWrite(message or "the store refused the request") from None
            raise


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
