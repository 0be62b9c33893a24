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
  pyshelf list --stack pyshelf-prod          # projects, latest version, files, last upload
  pyshelf list --stack pyshelf-prod foo      # every file of foo, yanked and rejected marked
  pyshelf list --stack pyshelf-prod foo --json
  PYSHELF_BUCKET=my-index pyshelf list foo

{EXIT_CODES_HELP}
"""


@click.command(name="list", epilog=EPILOG)
@click.argument("project", required=False, callback=arguments.project)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@target_options
def list_(target: TargetOptions, project: NormalizedName | None, as_json: bool) -> None:
    """List the projects of the index, or the files of PROJECT.

    Reads the published PEP 691 JSON pages in the bucket (index.json and <project>/index.json,
    the project pages all at once), i.e. exactly what pip and uv see; a file uploaded seconds
    ago appears once the indexer has rewritten the page. Files the indexer rejected (not
    archives of their kind, corrupt, empty) are on no page: PROJECT's listing shows them too,
    with the reason, from the indexer's facts cache.
    """
    from pyshelf.cli.run.listing import run_list  # noqa: PLC0415 (slow import: see cli/run)

    run_list(target, project, as_json=as_json)
