"""Expected AWS failures (no credentials, unknown profile or bucket, access denied, unreachable
endpoint) as one-line `CliError`s. botocore is imported here, never by `pyshelf.cli` itself."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    InvalidRegionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)

from pyshelf.cli.errors import CliError
from pyshelf.storage import StorageError
from pyshelf.storage.s3 import error_code

_DENIED = {"AccessDenied", "403", "Forbidden", "AllAccessDisabled", "AccessDeniedException"}
_BAD_CREDENTIALS = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidToken",
}


def describe_client_error(exc: ClientError, bucket: str | None) -> str:
    """A one-line explanation of an AWS error response."""
    error = exc.response.get("Error", {})
    code = error_code(exc)
    operation = exc.operation_name
    where = f"bucket {bucket!r}" if bucket else "the target"
    if code == "NoSuchBucket" or (operation == "HeadBucket" and code == "404"):
        return f"bucket {bucket!r} does not exist (check --bucket/--stack and --region)"
    if code in _DENIED:
        return f"access denied to {where} ({operation}): check the IAM permissions of this identity"
    if code in _BAD_CREDENTIALS:
        return f"AWS rejected the credentials ({code}): check --profile or AWS_* variables"
    message = error.get("Message") or "no message"
    return f"AWS error {code or 'unknown'} during {operation}: {message}"


@contextmanager
def aws_errors(*, bucket: str | None = None, endpoint: str | None = None) -> Iterator[None]:
    """Turn expected AWS/botocore failures into `CliError`s with one clear line."""
    try:
        yield
    except (NoCredentialsError, PartialCredentialsError):
        raise CliError(
            "no AWS credentials found: pass --profile (PYSHELF_PROFILE) or set "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
        ) from None
    except ProfileNotFound as exc:
        raise CliError(f"AWS profile {exc.kwargs.get('profile')!r} is not configured") from None
    except NoRegionError:
        raise CliError("no AWS region: pass --region (PYSHELF_REGION) or set AWS_REGION") from None
    except (ParamValidationError, InvalidRegionError) as exc:  # e.g. --bucket 'bad name'
        raise click.UsageError(" ".join(str(exc).split())) from None
    except (EndpointConnectionError, ConnectTimeoutError, ConnectionClosedError) as exc:
        raise CliError(unreachable(exc.kwargs.get("endpoint_url"), endpoint, bucket)) from None
    except ReadTimeoutError:
        raise CliError(f"{endpoint or 'the AWS endpoint'} did not answer in time") from None
    except ClientError as exc:
        raise CliError(describe_client_error(exc, bucket)) from None
    except StorageError as exc:
        raise CliError(f"storage error on {exc}") from None


def unreachable(tried: str | None, endpoint: str | None, bucket: str | None) -> str:
    """Why an endpoint could not be reached: the endpoint given, or the AWS endpoint tried (a
    bucket name alone goes to AWS, which is right for a deployed index, not for a local one)."""
    if endpoint:
        return (
            f"cannot reach {endpoint} (--endpoint-url): is it running? "
            "(`pyshelf serve` prints its S3 endpoint)"
        )
    where = f"bucket {bucket!r} at {tried}" if bucket else (tried or "the AWS endpoint")
    return (
        f"cannot reach {where} (AWS, no --endpoint-url given): for a local index pass "
        f"--endpoint-url URL (PYSHELF_ENDPOINT_URL), `pyshelf serve`'s S3 endpoint"
    )
