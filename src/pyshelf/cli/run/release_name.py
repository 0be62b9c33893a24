"""`pyshelf release-name`: ask the indexer (the only writer of the private set) to free a
reserved name, wait for its report and say what happened."""

from __future__ import annotations

import uuid

import click
from packaging.utils import NormalizedName

from pyshelf.cli.errors import CliError
from pyshelf.cli.reindex import AskOptions
from pyshelf.cli.run.indexer_request import ask_indexer
from pyshelf.cli.target import TargetOptions
from pyshelf.core.release_request import ReleaseReport, ReleaseRequest


def run_release_name(target: TargetOptions, project: NormalizedName, ask: AskOptions) -> None:
    request = ReleaseRequest(str(uuid.uuid4()), project)
    report = ask_indexer(target, request, ReleaseReport.loads, kind="release-name", ask=ask)
    if report is not None:
        show(report)


def show(report: ReleaseReport) -> None:
    """The outcome: one line for `released`, else an error saying why nothing was released."""
    name = report.project
    match report.outcome:
        case "released":
            click.echo(
                f"released {name}: no longer private here; its page now falls through to the "
                "upstream index, unless a reserved glob matches it"
            )
        case "not-reserved":
            raise CliError(f"{name} is not reserved here (no tombstone, no private-set key)")
        case "has-files":
            raise CliError(
                f"{name} still has files here: delete them first (pyshelf delete {name})"
            )
        case "still-changing":
            raise CliError(f"the private set kept changing while {name} was released; run again")
