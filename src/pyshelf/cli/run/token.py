"""`pyshelf token`: the work behind the commands (resolving the store, the registry, output)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import click

from pyshelf.access.registry import AccessError, Issued, TokenRegistry
from pyshelf.access.store import KeyValueStore, KeyValueStoreError
from pyshelf.cli.errors import CliError
from pyshelf.cli.run.listing import table
from pyshelf.cli.token import KVS_ARN_OUTPUT, TOKEN_USER, UV_INDEX_NAME, StoreOptions
from pyshelf.constants import LOCAL_KVS_ARN, MAX_UPLOAD_BYTES, UPLOAD_URI
from pyshelf.core.tokens import TokenRecord

if TYPE_CHECKING:
    import boto3


@contextmanager
def registry_of(options: StoreOptions) -> Iterator[tuple[TokenRegistry, dict[str, str]]]:
    """The registry over the resolved store, with the stack's outputs (if read); AWS and store
    failures inside the block become one-line errors."""
    from botocore.exceptions import MissingDependencyException  # noqa: PLC0415

    from pyshelf.cli.run.aws_errors import aws_errors  # noqa: PLC0415

    with aws_errors(endpoint=options.endpoint_url):
        try:
            session, outputs = _session_and_outputs(options)
            registry = TokenRegistry(_store(session, options, outputs))
            yield registry, outputs
        except MissingDependencyException:
            raise CliError(
                "the KeyValueStore API is signed with SigV4A, which needs awscrt: "
                "pip install 'botocore[crt]'"
            ) from None
        except (AccessError, KeyValueStoreError) as exc:
            raise CliError(str(exc)) from None


def _session_and_outputs(options: StoreOptions) -> tuple[boto3.Session, dict[str, str]]:
    from pyshelf.cli.run.connection import session_of, stack_outputs  # noqa: PLC0415
    from pyshelf.cli.target import TargetOptions  # noqa: PLC0415

    session = session_of(TargetOptions(profile=options.profile, region=options.region))
    outputs = stack_outputs(session, options.stack) if options.stack else {}
    return session, outputs


def _store(session: boto3.Session, options: StoreOptions, outputs: dict[str, str]) -> KeyValueStore:
    from pyshelf.access.cloudfront import CloudFrontKeyValueStore, client_for  # noqa: PLC0415

    arn = options.kvs_arn or outputs.get(KVS_ARN_OUTPUT)
    if not arn and options.stack:
        raise CliError(
            f"stack {options.stack!r} has no {KVS_ARN_OUTPUT} output (deployed without a "
            "token store?): pass --kvs-arn"
        )
    if not arn and options.endpoint_url:
        arn = LOCAL_KVS_ARN
    if not arn:
        raise click.UsageError(
            "no token store: pass --kvs-arn ARN or --stack NAME "
            "(or set PYSHELF_KVS_ARN/PYSHELF_STACK)"
        )
    try:
        client = client_for(session, options.endpoint_url)
    except ValueError as exc:  # botocore: "Invalid endpoint: ..."
        raise click.UsageError(f"--endpoint-url: {exc}") from None
    return CloudFrontKeyValueStore(client, arn)


def when(seconds: int | None) -> str:
    if seconds is None:
        return "never"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _scope_text(record: TokenRecord) -> str:
    projects = ", ".join(record.projects) if record.projects else "every project"
    return f"{'+'.join(record.scopes)} on {projects}"


def tokens_table(records: tuple[TokenRecord, ...], now: float) -> str:
    rows = [
        [
            record.name,
            ",".join(record.scopes),
            ",".join(record.projects) if record.projects else "*",
            when(record.created),
            when(record.expires) + ("" if record.usable_at(now) else " (expired)"),
        ]
        for record in records
    ]
    return table(["NAME", "SCOPES", "PROJECTS", "CREATED", "EXPIRES"], rows)


def with_token(index_url: str, secret: str) -> str:
    """The index URL with `__token__:<token>@` in front of its host."""
    url = urlsplit(index_url)
    return urlunsplit(url._replace(netloc=f"{TOKEN_USER}:{secret}@{url.netloc}"))


def created_text(issued: Issued, index_url: str | None) -> str:
    record, secret = issued.record, issued.token
    lines = [
        f"Created token {record.name!r}: {_scope_text(record)}, expires {when(record.expires)}.",
        "Copy it now: it is stored nowhere and cannot be shown again.",
        "",
        f"  {secret}",
        "",
    ]
    if not index_url:
        lines.append("(pass --index-url or --stack for settings that use it)")
        return "\n".join(lines)
    url = index_url.rstrip("/") + "/"
    if "read" in record.scopes:
        lines += _read_settings(url, secret)
    if "upload" in record.scopes:
        lines += _upload_settings(url, secret)
    return "\n".join(lines)


def _read_settings(url: str, secret: str) -> list[str]:
    auth = with_token(url, secret)
    variable = f"UV_INDEX_{UV_INDEX_NAME.upper()}"
    return [
        "pip:",
        f"  pip install --index-url {auth} PACKAGE",
        f"  export PIP_INDEX_URL={auth}",
        "uv:",
        f"  uv pip install --index-url {auth} PACKAGE",
        f"  export UV_INDEX_URL={auth}",
        "pip.conf:",
        "  [global]",
        f"  index-url = {auth}",
        "uv.toml, with the token in the environment rather than in the file:",
        "  [[index]]",
        f'  name = "{UV_INDEX_NAME}"',
        f'  url = "{url}"',
        "  default = true",
        "",
        f"  export {variable}_USERNAME={TOKEN_USER} {variable}_PASSWORD={secret}",
    ]


def _upload_settings(url: str, secret: str) -> list[str]:
    """twine, uv publish and poetry publish against the upload endpoint (docs/publish.md)."""
    upload = url + UPLOAD_URI.lstrip("/")
    return [
        f"Upload (files up to {MAX_UPLOAD_BYTES:,} bytes; larger ones with pyshelf upload):",
        f"  twine upload --repository-url {upload} -u {TOKEN_USER} -p {secret} dist/*",
        f"  uv publish --publish-url {upload} --token {secret}",
        f"  poetry config repositories.{UV_INDEX_NAME} {upload}",
        f"  poetry config http-basic.{UV_INDEX_NAME} {TOKEN_USER} {secret}",
        f"  poetry publish -r {UV_INDEX_NAME}",
    ]
