"""`pyshelf reindex`: options and help; the work is `pyshelf.cli.run.reindex`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from pyshelf.cli import arguments
from pyshelf.cli.errors import EXIT_CODES_HELP
from pyshelf.cli.target import TargetOptions, target_options

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

EPILOG = f"""\b
Examples:
  pyshelf reindex --stack pyshelf-prod foo bar
  pyshelf reindex --stack pyshelf-prod --all
  pyshelf reindex --endpoint-url http://127.0.0.1:9000 --bucket pyshelf --all

{EXIT_CODES_HELP}
"""


@click.command(epilog=EPILOG)
@click.argument("projects", nargs=-1, callback=arguments.projects)
@click.option("--all", "all_", is_flag=True, help="Every project found in the bucket.")
@target_options
def reindex(target: TargetOptions, projects: tuple[NormalizedName, ...], all_: bool) -> None:
    """Rebuild the pages of PROJECTs (or --all) from the bucket's content, then the root.

    Idempotent: unchanged pages are not rewritten. Use it after editing the bucket by hand or to
    recover from failed indexer runs.
    """
    if bool(projects) == all_:
        raise click.UsageError("name the projects to rebuild, or pass --all (not both)")
    from pyshelf.cli.run.reindex import run_reindex  # noqa: PLC0415 (slow import: see cli/run)

    run_reindex(target, None if all_ else projects)
