"""Exit codes of the `pyshelf` commands, and the one-line messages for expected failures.

Expected failures (no credentials, unknown stack or bucket, access denied, unreachable endpoint,
invalid files, conflicts, timeouts) become a `CliError`: click prints `Error: <message>` on stderr
and exits with the code below, without a traceback.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import IntEnum

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

from pyshelf.storage import StorageError
from pyshelf.storage.s3 import error_code


class Exit(IntEnum):
    OK = 0
    ERROR = 1  # the target could not be used (credentials, stack, bucket, access, endpoint)
    USAGE = 2  # bad arguments (click's own code)
    INVALID = 3  # some file is not a valid distribution; nothing was uploaded
    CONFLICT = 4  # a filename exists with different bytes; nothing was overwritten
    TIMEOUT = 5  # --wait: the index did not list every file in time


EXIT_CODES_HELP = (
    "\b\nExit codes: 0 ok, 1 error (credentials, stack, bucket, access, endpoint, nothing found),"
    "\n2 usage, 3 invalid distribution, 4 conflict (file exists with other bytes), 5 timeout."
)


class CliError(click.ClickException):
    """An expected failure: one line on stderr (`Error: ...`) and exit code 1."""

    exit_code = Exit.ERROR


class InvalidFiles(CliError):
    exit_code = Exit.INVALID


class Conflict(CliError):
    exit_code = Exit.CONFLICT


class TimedOut(CliError):
    exit_code = Exit.TIMEOUT


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
        target = endpoint or str(exc.kwargs.get("endpoint_url", "the AWS endpoint"))
        raise CliError(f"cannot reach {target}: is it running and reachable?") from None
    except ReadTimeoutError:
        raise CliError(f"{endpoint or 'the AWS endpoint'} did not answer in time") from None
    except ClientError as exc:
        raise CliError(describe_client_error(exc, bucket)) from None
    except StorageError as exc:
        raise CliError(f"storage error on {exc}") from None
