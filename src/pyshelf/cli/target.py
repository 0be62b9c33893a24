"""Which index a command works on: the target options every command but `serve` takes.

`--stack` reads the `BucketName` and `IndexUrl` outputs of a deployed stack (`reindex` also its
`QueueUrl`); explicit `--bucket` and `--index-url` win over the stack's outputs. Each option has a
`PYSHELF_*` environment variable. Resolving them (stack discovery, AWS clients) is
`pyshelf.cli.run.connection`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class TargetOptions:
    """The target options as given (command line or environment), before discovery."""

    stack: str | None = None
    bucket: str | None = None
    index_url: str | None = None
    endpoint_url: str | None = None
    profile: str | None = None
    region: str | None = None


_OPTIONS = (
    click.option("--stack", envvar="PYSHELF_STACK", help="Deployed stack to read outputs from."),
    click.option("--bucket", envvar="PYSHELF_BUCKET", help="Bucket name (overrides the stack's)."),
    click.option(
        "--index-url", envvar="PYSHELF_INDEX_URL", help="Public index URL (overrides the stack's)."
    ),
    click.option(
        "--endpoint-url",
        envvar="PYSHELF_ENDPOINT_URL",
        help="S3 endpoint, e.g. `pyshelf serve`'s or any S3-compatible store.",
    ),
    click.option("--profile", envvar="PYSHELF_PROFILE", help="AWS profile."),
    click.option("--region", envvar="PYSHELF_REGION", help="AWS region."),
)
_NAMES = ("stack", "bucket", "index_url", "endpoint_url", "profile", "region")


def target_options(command: F) -> F:
    """Add the target options to a command; it receives them as `target: TargetOptions`."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in _NAMES}
        return command(*args, target=TargetOptions(**given), **kwargs)

    decorated: Any = wrapper
    for option in reversed(_OPTIONS):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]
