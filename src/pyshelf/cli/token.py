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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

from pyshelf.cli.errors import EXIT_CODES_HELP
from pyshelf.constants import LOCAL_KVS_ARN
from pyshelf.core.tokens import SCOPES, Scope

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
    help="What the token may do; repeatable. Default: read. `upload`: publish with twine, uv "
    "publish or poetry publish at <index>/-/upload/ (docs/publish.md); it reads nothing unless "
    "`read` is given too.",
)
@click.option(
    "--index-url",
    envvar="PYSHELF_INDEX_URL",
    help="Public index URL for the pip/uv/twine snippets (default: the stack's IndexUrl output).",
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
    """Create the token NAME and print it, once, with pip and uv settings that use it (with
    `--scope upload`: twine, uv publish and poetry commands)."""
    from pyshelf.cli.run.token import created_text, registry_of  # noqa: PLC0415
    from pyshelf.core.tokens import InvalidTokenRecord  # noqa: PLC0415

    lifetime = parse_expires(expires)
    with registry_of(store) as (registry, outputs):
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
    from pyshelf.cli.run.token import registry_of, tokens_table  # noqa: PLC0415

    with registry_of(store) as (registry, _):
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
    from pyshelf.cli.run.token import registry_of  # noqa: PLC0415

    with registry_of(store) as (registry, _):
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
