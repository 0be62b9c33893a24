"""`pyshelf token`: create, list and revoke the read tokens of a private index.

The tokens' records live in the CloudFront KeyValueStore the edge checks (`KeyValueStoreArn`
output of the stack), keyed by the SHA-256 of each token (`pyshelf.core.tokens`): a token is
printed once by `create` and stored nowhere, not in a log, not in a file.
boto3/botocore are imported inside the functions (the CLI starts without them).
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import click

from pyshelf.access.registry import AccessError, Issued, TokenRegistry
from pyshelf.access.store import LOCAL_KVS_ARN, KeyValueStore, KeyValueStoreError
from pyshelf.cli.errors import EXIT_CODES_HELP, CliError
from pyshelf.cli.listing import table
from pyshelf.core.tokens import SCOPES, InvalidTokenRecord, Scope, TokenRecord

if TYPE_CHECKING:
    import boto3

KVS_ARN_OUTPUT = "KeyValueStoreArn"
DEFAULT_EXPIRES = "90d"
TOKEN_USER = "__token__"
UV_INDEX_NAME = "pyshelf"
_DURATION = re.compile(r"^([1-9][0-9]{0,5})([hd])$")
_UNIT_SECONDS = {"h": 3600, "d": 86400}
F = TypeVar("F", bound=Callable[..., Any])

EPILOG = f"""\b
Store selection: --kvs-arn ARN (PYSHELF_KVS_ARN), or --stack NAME (PYSHELF_STACK) to read the
stack's KeyValueStoreArn output; with --endpoint-url (`pyshelf serve`'s S3 endpoint) the local
store {LOCAL_KVS_ARN} is the default.

\b
Examples:
  pyshelf token create ci --stack pyshelf-prod --project 'acme-*'
  pyshelf token list --stack pyshelf-prod
  pyshelf token revoke ci --stack pyshelf-prod
  pyshelf token create dev --endpoint-url http://127.0.0.1:9000 --index-url http://127.0.0.1:8080/

{EXIT_CODES_HELP}
"""


@dataclass(frozen=True, slots=True)
class StoreOptions:
    stack: str | None = None
    kvs_arn: str | None = None
    endpoint_url: str | None = None
    profile: str | None = None
    region: str | None = None


_OPTIONS = (
    click.option("--stack", envvar="PYSHELF_STACK", help="Deployed stack to read outputs from."),
    click.option(
        "--kvs-arn", envvar="PYSHELF_KVS_ARN", help="KeyValueStore ARN (overrides the stack's)."
    ),
    click.option(
        "--endpoint-url",
        envvar="PYSHELF_ENDPOINT_URL",
        help="`pyshelf serve`'s endpoint (its S3 endpoint also serves the token store).",
    ),
    click.option("--profile", envvar="PYSHELF_PROFILE", help="AWS profile."),
    click.option("--region", envvar="PYSHELF_REGION", help="AWS region (of the stack)."),
)
_NAMES = ("stack", "kvs_arn", "endpoint_url", "profile", "region")


def store_options(command: F) -> F:
    """Add the store options; the command receives them as `store: StoreOptions`."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in _NAMES}
        return command(*args, store=StoreOptions(**given), **kwargs)

    decorated: Any = wrapper
    for option in reversed(_OPTIONS):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]


@click.group(epilog=EPILOG)
def token() -> None:
    """Create, list and revoke the access tokens of a private index.

    pip and uv send a token as the password of HTTP Basic authentication (user `__token__`);
    the edge accepts it while its record is in the KeyValueStore and not expired.
    """


@token.command(epilog=EPILOG)
@click.argument("name")
@click.option(
    "--expires",
    default=DEFAULT_EXPIRES,
    show_default=True,
    metavar="Nd|Nh|never",
    help="Lifetime in days or hours, or `never`.",
)
@click.option(
    "--project",
    "projects",
    multiple=True,
    metavar="GLOB",
    help="Only projects matching GLOB (`*`, `?`); repeatable. Default: every project.",
)
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(SCOPES),
    help="What the token may do; repeatable. Default: read.",
)
@click.option(
    "--index-url",
    envvar="PYSHELF_INDEX_URL",
    help="Public index URL for the pip/uv snippets (default: the stack's IndexUrl output).",
)
@store_options
def create(
    *,
    store: StoreOptions,
    name: str,
    expires: str,
    projects: tuple[str, ...],
    scopes: tuple[Scope, ...],
    index_url: str | None,
) -> None:
    """Create the token NAME and print it, once, with pip and uv settings that use it."""
    lifetime = parse_expires(expires)
    with _registry(store) as (registry, outputs):
        try:
            issued = registry.create(
                name, lifetime=lifetime, scopes=scopes or ("read",), projects=projects or None
            )
        except InvalidTokenRecord as exc:
            raise click.UsageError(str(exc)) from None
    click.echo(created_text(issued, index_url or outputs.get("IndexUrl")))


@token.command(name="list", epilog=EPILOG)
@store_options
def list_(store: StoreOptions) -> None:
    """List the tokens: name, scopes, projects, created, expires (never the token)."""
    with _registry(store) as (registry, _):
        listing = registry.list()
    if listing.records:
        click.echo(tokens_table(listing.records, time.time()))
    else:
        click.echo("no tokens")
    if listing.unreadable:
        click.echo(
            f"warning: {listing.unreadable} token record(s) cannot be read; the edge denies them",
            err=True,
        )


@token.command(epilog=EPILOG)
@click.argument("name")
@store_options
def revoke(store: StoreOptions, name: str) -> None:
    """Revoke the token NAME (CloudFront's edges stop accepting it within seconds)."""
    with _registry(store) as (registry, _):
        registry.revoke(name)
    click.echo(f"revoked token {name!r}")


def parse_expires(text: str) -> int | None:
    """Seconds of lifetime (None: never)."""
    if text.strip().lower() == "never":
        return None
    match = _DURATION.fullmatch(text.strip().lower())
    if match is None:
        raise click.BadParameter(
            f"{text!r}: a number of days or hours (30d, 12h) or `never`", param_hint="--expires"
        )
    return int(match[1]) * _UNIT_SECONDS[match[2]]


@contextmanager
def _registry(options: StoreOptions) -> Iterator[tuple[TokenRegistry, dict[str, str]]]:
    """The registry over the resolved store, with the stack's outputs (if read); AWS and store
    failures inside the block become one-line errors."""
    from botocore.exceptions import MissingDependencyException  # noqa: PLC0415

    from pyshelf.cli.errors import aws_errors  # noqa: PLC0415

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
    from pyshelf.cli.target import TargetOptions, session_of, stack_outputs  # noqa: PLC0415

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
        lines.append("(pass --index-url or --stack for pip and uv settings that use it)")
        return "\n".join(lines)
    url = index_url.rstrip("/") + "/"
    auth = with_token(url, secret)
    variable = f"UV_INDEX_{UV_INDEX_NAME.upper()}"
    lines += [
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
    return "\n".join(lines)
