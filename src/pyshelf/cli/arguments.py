"""Argument callbacks shared by the commands: project names (normalized), PEP 440 versions.

`packaging` is imported when a callback runs, not when the commands are declared, so `--help`
stays fast (see cli/run)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from pyshelf.cli.errors import UsageProblem

if TYPE_CHECKING:
    from packaging.utils import NormalizedName
    from packaging.version import Version


def _project(name: str) -> NormalizedName:
    from pyshelf.core.filenames import normalize_project  # noqa: PLC0415

    try:
        return normalize_project(name)
    except ValueError:
        raise click.BadParameter(f"{name!r} is not a valid project name") from None


def project(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> NormalizedName | None:
    return None if value is None else _project(value)


def projects(
    _ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]
) -> tuple[NormalizedName, ...]:
    return tuple(_project(name) for name in value)


def version(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Version | None:
    from packaging.version import InvalidVersion, Version  # noqa: PLC0415

    if value is None:
        return None
    try:
        return Version(value)
    except InvalidVersion:
        raise click.BadParameter(f"{value!r} is not a valid PEP 440 version") from None


def existing_paths(
    _ctx: click.Context, _param: click.Parameter, value: tuple[Path, ...]
) -> tuple[Path, ...]:
    """The paths, all of which exist; else one usage error naming the missing ones (a shell
    leaves a pattern that matched nothing as it is: `dist/*`)."""
    missing = [str(path) for path in value if not path.exists()]
    if not missing:
        return value
    pattern = any(char in name for name in missing for char in "*?[")
    hint = " (a pattern that matched nothing?)" if pattern else ""
    raise UsageProblem(f"no such file: {', '.join(missing)}{hint}")


def version_or_filename(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> Version | str | None:
    """A distribution filename (kept as it is, once it parses) or a PEP 440 version."""
    from packaging.version import InvalidVersion, Version  # noqa: PLC0415

    from pyshelf.core.filenames import NotADistribution, parse_distribution  # noqa: PLC0415

    if value is None:
        return None
    if value.endswith(DISTRIBUTION_SUFFIXES):
        try:
            return parse_distribution(value).filename
        except NotADistribution as exc:
            raise click.BadParameter(str(exc)) from None
    try:
        return Version(value)
    except InvalidVersion:
        raise click.BadParameter(
            f"{value!r} is neither a PEP 440 version nor a distribution filename"
        ) from None


DISTRIBUTION_SUFFIXES = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz")
