"""`pyshelf reindex`: options and help; the work is `pyshelf.cli.run.reindex`. Also the options
of every command that asks the indexer (reindex, release-name): `ask_options`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from pyshelf.cli import arguments
from pyshelf.cli.errors import EXIT_CODES_HELP
from pyshelf.cli.target import TargetOptions, target_options

if TYPE_CHECKING:
    from packaging.utils import NormalizedName

F = TypeVar("F", bound=Callable[..., Any])

EPILOG = f"""\b
Examples:
  pyshelf reindex --stack pyshelf-prod foo bar
  pyshelf reindex --stack pyshelf-prod --all --no-wait
  pyshelf reindex --endpoint-url http://127.0.0.1:9000 --bucket pyshelf --all
  pyshelf reindex --bucket my-index --direct foo

{EXIT_CODES_HELP}
"""


@dataclass(frozen=True, slots=True)
class AskOptions:
    """How a command asks the indexer: the events queue (None: found from the target), whether
    to wait for the report, for how long, and how often to look for it (seconds)."""

    wait: bool = True
    queue_url: str | None = None
    timeout: float = 300.0
    interval: float = 1.0


_ASK_OPTIONS = (
    click.option("--no-wait", is_flag=True, help="Send the request; print its id; do not wait."),
    click.option(
        "--queue-url",
        envvar="PYSHELF_QUEUE_URL",
        help="The indexer's events queue (default: the stack's QueueUrl output; with "
        "--endpoint-url, `pyshelf serve`'s queue).",
    ),
    click.option(
        "--timeout", default=300.0, show_default=True, help="Seconds to wait for the report."
    ),
    click.option("--interval", default=1.0, hidden=True, help="Seconds between report polls."),
)


def ask_options(command: F) -> F:
    """Add the options of a request to the indexer; the command receives `ask: AskOptions`."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ask = AskOptions(
            wait=not kwargs.pop("no_wait"),
            queue_url=kwargs.pop("queue_url"),
            timeout=kwargs.pop("timeout"),
            interval=kwargs.pop("interval"),
        )
        return command(*args, ask=ask, **kwargs)

    decorated: Any = wrapper
    for option in reversed(_ASK_OPTIONS):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]


@click.command(epilog=EPILOG)
@click.argument("projects", nargs=-1, callback=arguments.projects)
@click.option("--all", "all_", is_flag=True, help="Every project found in the bucket.")
@click.option(
    "--direct",
    is_flag=True,
    help="Rebuild here with your own credentials instead of asking the indexer.",
)
@ask_options
@target_options
def reindex(
    *,
    target: TargetOptions,
    ask: AskOptions,
    projects: tuple[NormalizedName, ...],
    all_: bool,
    direct: bool,
) -> None:
    """Rebuild the pages of PROJECTs (or --all) from the bucket's content, then the root.

    By default the indexer does it: the command puts a request on the events queue and waits
    for the indexer's report. Use this against a deployed stack, whose bucket policy lets only
    the indexer write pages (an --all request must finish within one indexer run, 5 minutes).

    --direct rebuilds here with your own credentials: use it where no indexer runs (a bare
    bucket, an S3-compatible store) and only where your identity may write pages. Both modes
    work against `pyshelf serve`; with --endpoint-url, --direct also rebuilds the private set
    (the names that never fall through) in `pyshelf serve`'s KeyValueStore.

    Stored pages are compared byte for byte, so a page forged by hand is repaired; unchanged
    pages are not rewritten. Use it after editing the bucket by hand or to recover from failed
    indexer runs.
    """
    if bool(projects) == all_:
        raise click.UsageError("name the projects to rebuild, or pass --all (not both)")
    if direct and not ask.wait:
        raise click.UsageError("--no-wait applies to a request to the indexer, not to --direct")
    from pyshelf.cli.run.reindex import run_reindex  # noqa: PLC0415 (slow import: see cli/run)

    run_reindex(target, None if all_ else projects, direct=direct, ask=ask)
