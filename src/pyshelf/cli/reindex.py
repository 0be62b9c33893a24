"""`pyshelf reindex`: rebuild pages with the indexer core the Lambda runs."""

from __future__ import annotations

import click
from packaging.utils import NormalizedName

from pyshelf.cli import arguments
from pyshelf.cli.errors import EXIT_CODES_HELP, CliError
from pyshelf.cli.target import TargetOptions, connect, target_options
from pyshelf.indexer import regenerate

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
    connection = connect(target)
    with connection.errors():
        try:
            results = regenerate.reindex(connection.store, None if all_ else projects)
        except regenerate.ReindexIncomplete as exc:
            _report(exc.results)
            raise CliError(f"{exc}; run reindex again for them") from None
        except regenerate.StillChanging as exc:  # the root itself
            raise CliError(f"{exc}; run reindex again") from None
    _report(results)
    click.echo(f"reindexed {len(results)} project(s) and the root")


def _report(results: list[regenerate.ProjectResult]) -> None:
    for result in results:
        if result.files == 0:
            state = "no files; removed from the index" if result.root_affected else "no files"
        else:
            state = f"{result.files} file(s), {'rewritten' if result.changed else 'unchanged'}"
        click.echo(f"{result.project}: {state}")
