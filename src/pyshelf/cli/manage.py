"""`pyshelf delete`, `pyshelf yank`, `pyshelf unyank`: options and help; the work is
`pyshelf.cli.run.manage`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from pyshelf.cli import arguments
from pyshelf.cli.errors import EXIT_CODES_HELP
from pyshelf.cli.target import TargetOptions, target_options

if TYPE_CHECKING:
    from packaging.utils import NormalizedName
    from packaging.version import Version

DELETE_EPILOG = f"""\b
Examples:
  pyshelf delete --stack pyshelf-prod foo 1.0          # every file of foo 1.0
  pyshelf delete --stack pyshelf-prod foo --file foo-1.0-py3-none-any.whl
  pyshelf delete --bucket my-index --yes foo           # every file of foo, no question

{EXIT_CODES_HELP}
"""
YANK_EPILOG = f"""\b
Examples:
  pyshelf yank --stack pyshelf-prod foo 1.0 --reason "broken on Windows, use 1.0.1"
  pyshelf unyank --stack pyshelf-prod foo 1.0

{EXIT_CODES_HELP}
"""


@click.command(epilog=DELETE_EPILOG)
@click.argument("project", callback=arguments.project)
@click.argument("version", required=False, callback=arguments.version)
@click.option("--file", "filename", help="Delete only this filename.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@target_options
def delete(
    target: TargetOptions,
    project: NormalizedName,
    version: Version | None,
    filename: str | None,
    yes: bool,
) -> None:
    """Delete distributions of PROJECT (all, one VERSION, or one --file).

    Shows what will go and asks first. Only distributions are deleted (and the yank record of a
    release left with no file); the indexer then removes their .metadata files and rewrites the
    pages. With bucket versioning (on in pyshelf stacks)
    a deleted file stays recoverable as a previous object version.
    """
    from pyshelf.cli.run.manage import run_delete  # noqa: PLC0415 (slow import: see cli/run)

    run_delete(target, project, version, filename, yes)


@click.command(epilog=YANK_EPILOG)
@click.argument("project", callback=arguments.project)
@click.argument("version", callback=arguments.version)
@click.option("--reason", default="", help="Why the release is yanked (shown by pip).")
@target_options
def yank(target: TargetOptions, project: NormalizedName, version: Version, reason: str) -> None:
    """Yank release VERSION of PROJECT (PEP 592): pip skips it unless pinned exactly.

    Writes the yank record <project>/<version>.yank; the indexer marks every file of the release.
    Yanking again replaces the reason.
    """
    from pyshelf.cli.run.manage import run_yank  # noqa: PLC0415 (slow import: see cli/run)

    run_yank(target, project, version, reason)


@click.command(epilog=YANK_EPILOG)
@click.argument("project", callback=arguments.project)
@click.argument("version", callback=arguments.version)
@target_options
def unyank(target: TargetOptions, project: NormalizedName, version: Version) -> None:
    """Undo a yank: delete the yank record of release VERSION of PROJECT."""
    from pyshelf.cli.run.manage import run_unyank  # noqa: PLC0415 (slow import: see cli/run)

    run_unyank(target, project, version)
