"""`pyshelf upload`: its options and help; the work is `pyshelf.cli.run.upload`."""

from __future__ import annotations

from pathlib import Path

import click

from pyshelf.cli import arguments
from pyshelf.cli.errors import EXIT_CODES_HELP
from pyshelf.cli.target import TargetOptions, target_options

EPILOG = f"""\b
Examples:
  pyshelf upload --stack pyshelf-prod dist/*
  pyshelf upload --bucket my-index --wait dist/foo-1.0-py3-none-any.whl
  pyshelf upload --endpoint-url http://127.0.0.1:9000 --bucket pyshelf \\
      --index-url http://127.0.0.1:8080/ --wait dist/*
  PYSHELF_STACK=pyshelf-dev pyshelf upload --dry-run dist/*

{EXIT_CODES_HELP}
"""


@click.command(epilog=EPILOG)
@click.argument(
    "dists",
    nargs=-1,
    required=True,
    type=click.Path(path_type=Path),
    callback=arguments.existing_paths,
)
@click.option("--overwrite", is_flag=True, help="Replace a file that exists with other bytes.")
@click.option("--dry-run", is_flag=True, help="Check and show what would happen; change nothing.")
@click.option("--wait", is_flag=True, help="Wait until the index lists every file.")
@click.option("--timeout", default=120.0, show_default=True, help="Seconds --wait waits.")
@click.option("--interval", default=1.0, hidden=True, help="Seconds between --wait polls.")
@click.option("--verbose", "-v", is_flag=True, help="Every problem on its own line, and why.")
@target_options
def upload(
    *,
    target: TargetOptions,
    dists: tuple[Path, ...],
    overwrite: bool,
    dry_run: bool,
    wait: bool,
    timeout: float,
    interval: float,
    verbose: bool,
) -> None:
    """Upload distributions (wheels, sdists) to <project>/<filename> in the bucket.

    Every file is checked first (filename, readable archive, metadata Name/Version matching the
    filename); if any is invalid nothing is uploaded. An existing filename is never overwritten:
    the same bytes are skipped, other bytes are refused unless --overwrite is given.
    """
    from pyshelf.cli.run.upload import run_upload  # noqa: PLC0415 (slow import: see cli/run)

    run_upload(
        target,
        dists,
        overwrite=overwrite,
        dry_run=dry_run,
        wait=wait,
        timeout=timeout,
        interval=interval,
        verbose=verbose,
    )
