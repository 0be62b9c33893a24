"""`pyshelf list`: options and help; the work is `pyshelf.cli.run.listing`."""

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
  pyshelf list --stack pyshelf-prod          # projects, latest version, file count
  pyshelf list --stack pyshelf-prod foo      # every file of foo, yanked ones marked
  PYSHELF_BUCKET=my-index pyshelf list foo

{EXIT_CODES_HELP}
"""


@click.command(name="list", epilog=EPILOG)
@click.argument("project", required=False, callback=arguments.project)
@target_options
def list_(target: TargetOptions, project: NormalizedName | None) -> None:
    """List the projects of the index, or the files of PROJECT.

    Reads the published PEP 691 JSON pages in the bucket (index.json and <project>/index.json),
    i.e. exactly what pip and uv see; a file uploaded seconds ago appears once the indexer has
    rewritten the page.
    """
    from pyshelf.cli.run.listing import run_list  # noqa: PLC0415 (slow import: see cli/run)

    run_list(target, project)
