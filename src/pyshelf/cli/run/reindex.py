"""`pyshelf reindex`: rebuild pages with the indexer core the Lambda runs."""

from __future__ import annotations

import click
from packaging.utils import NormalizedName

from pyshelf.cli.errors import CliError
from pyshelf.cli.run.connection import connect
from pyshelf.cli.target import TargetOptions
from pyshelf.indexer import regenerate


def run_reindex(target: TargetOptions, projects: tuple[NormalizedName, ...] | None) -> None:
    """Rebuild PROJECTS (None: every project found in the bucket), then the root."""
    connection = connect(target)
    with connection.errors():
        try:
            results = regenerate.reindex(connection.store, projects)
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
