"""`pyshelf release-name`: options and help; the work is `pyshelf.cli.run.release_name`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from pyshelf.cli import arguments
from pyshelf.cli.errors import EXIT_CODES_HELP
from pyshelf.cli.reindex import AskOptions, ask_options
from pyshelf.cli.target import TargetOptions, target_options

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

EPILOG = f"""\b
Examples:
  pyshelf release-name --stack pyshelf-prod old-tool
  pyshelf release-name --endpoint-url http://127.0.0.1:9000 --bucket pyshelf old-tool

{EXIT_CODES_HELP}
"""


@click.command(name="release-name", epilog=EPILOG)
@click.argument("project", callback=arguments.project)
@ask_options
@target_options
def release_name(*, target: TargetOptions, ask: AskOptions, project: NormalizedName) -> None:
    """Free the name PROJECT, whose files were all deleted, so that it falls through again.

    A project stays private after its last file is deleted: its page is served here (404),
    never redirected to the upstream index, so nobody else's upload under that name can be
    installed through this index. This command lets the name go: the indexer removes its
    tombstone and its private-set key, then its page falls through like any unknown name's
    (unless a reserved glob of the index matches it).

    The command puts a request on the indexer's events queue and waits for its report, as
    `pyshelf reindex` does. It fails (exit 1) when the project still has files (delete them
    first) or when the name is not reserved (nothing to release).
    """
    from pyshelf.cli.run.release_name import run_release_name  # noqa: PLC0415 (see cli/run)

    run_release_name(target, project, ask)
