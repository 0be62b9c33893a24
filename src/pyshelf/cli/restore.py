"""`pyshelf restore`: options and help; the work is `pyshelf.cli.run.restore`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from pyshelf.cli import arguments
from pyshelf.cli.errors import EXIT_CODES_HELP, UsageProblem
from pyshelf.cli.target import TargetOptions, target_options

if TYPE_CHECKING:
    from packaging.utils import NormalizedName
    from packaging.version import Version

EPILOG = f"""\b
Examples:
  pyshelf restore --stack pyshelf-prod foo --list     # what can be restored
  pyshelf restore --stack pyshelf-prod foo 1.0        # every deleted file of foo 1.0
  pyshelf restore --stack pyshelf-prod foo foo-1.0-py3-none-any.whl

{EXIT_CODES_HELP}
"""


@click.command(epilog=EPILOG)
@click.argument("project", callback=arguments.project)
@click.argument(
    "wanted", metavar="[VERSION|FILENAME]", required=False, callback=arguments.version_or_filename
)
@click.option("--list", "list_", is_flag=True, help="Show what can be restored; change nothing.")
@target_options
def restore(
    target: TargetOptions,
    project: NormalizedName,
    wanted: Version | str | None,
    list_: bool,
) -> None:
    """Bring back deleted files of PROJECT (one VERSION, or one FILENAME) from the versions the
    bucket keeps, with the yank record `delete` removed with them.

    The newest kept version of each file is written back as a new object, only where the name
    is free; the indexer lists it as any upload. A name a different file now holds is refused
    (exit 4). Kept versions expire (noncurrentVersionDays: 7 days in dev, 365 in prod).
    """
    if wanted is None and not list_:
        raise UsageProblem("name the VERSION or FILENAME to restore, or pass --list")
    from pyshelf.cli.run.restore import run_restore  # noqa: PLC0415 (slow import: see cli/run)

    run_restore(target, project, wanted, list_=list_)
