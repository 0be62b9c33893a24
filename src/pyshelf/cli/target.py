"""Which index a command works on: the target options every command but `serve` takes.

`--stack` reads the `BucketName` and `IndexUrl` outputs of a deployed stack (`reindex` also its
`QueueUrl`); explicit `--bucket` and `--index-url` win over the stack's outputs. Each option has a
`PYSHELF_*` environment variable; `--target NAME` fills what is still unset from a named target
of the user's `pyshelf.toml` (`pyshelf.cli.config`). The bucket name is checked against S3's
rules here, before any request. Resolving the rest (stack discovery, AWS clients) is
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
    click.option(
        "--target",
        envvar="PYSHELF_TARGET",
        help="A named target of your pyshelf.toml (flags and PYSHELF_* variables win over it).",
    ),
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
        return command(*args, target=completed(kwargs.pop("target"), given), **kwargs)

    decorated: Any = wrapper
    for option in reversed(_OPTIONS):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]


def completed(target: str | None, given: dict[str, str | None]) -> TargetOptions:
    """The options as given, completed from the named config target; the bucket name checked."""
    if target:
        from pyshelf.cli.config import target_settings  # noqa: PLC0415 (only when asked)

        for name, value in target_settings(target).items():
            given[name] = given[name] or value
    if given["bucket"]:
        given["bucket"] = checked_bucket(given["bucket"].removeprefix("s3://").strip("/"))
    return TargetOptions(**given)


def checked_bucket(name: str) -> str:
    """`name` if S3 accepts it as a bucket name, else a one-line usage error saying the rule."""
    from pyshelf.cli.errors import UsageProblem  # noqa: PLC0415
    from pyshelf.core.bucket_names import bucket_name_problem  # noqa: PLC0415

    problem = bucket_name_problem(name)
    if problem:
        raise UsageProblem(f"invalid bucket name {name!r}: {problem}")
    return name


def bucket_callback(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    """The `--bucket` of `pyshelf serve`, checked as the target options' is."""
    return checked_bucket(value)
