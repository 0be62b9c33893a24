"""`pyshelf serve`: the whole index on this machine, no AWS account needed."""

from __future__ import annotations

import gc
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, TextIO

import click

from pyshelf.cli.errors import CliError
from pyshelf.cli.target import bucket_callback

if TYPE_CHECKING:
    from pyshelf.core.edge_auth import EdgeSettings

SERVE_EXTRA_HINT = "pyshelf serve needs the emulator: pip install 'pyshelf[serve]'"
EPILOG = """\b
Examples:
  pyshelf serve                                  # http://127.0.0.1:8080/, held in memory
  pyshelf serve --port 0 --s3-port 0             # any free ports (the banner says which)
  pyshelf serve --data .pyshelf-data             # keep what is uploaded across restarts
  pyshelf serve --private                        # every request needs a read token
  pyshelf serve --upstream https://pypi.org/simple/ --reserve 'acme-*'

\b
The banner prints the index URL and the lines to export for awscli and for the pyshelf
command line (PYSHELF_ENDPOINT_URL, PYSHELF_BUCKET, PYSHELF_INDEX_URL). More: docs/local.md.
"""


@click.command(epilog=EPILOG)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address of the index (CDN).")
@click.option("--port", default=8080, show_default=True, help="Port of the index; 0 picks one.")
@click.option(
    "--s3-port", default=9000, show_default=True, help="Port of the S3 + SQS emulator; 0 picks one."
)
@click.option(
    "--bucket",
    default="pyshelf",
    show_default=True,
    callback=bucket_callback,
    help="Bucket name (S3's rules: 3-63 of a-z, 0-9, '.', '-').",
)
@click.option(
    "--data",
    type=click.Path(file_okay=False, path_type=Path),
    help="Keep the bucket's objects in this directory across restarts.",
)
@click.option(
    "--access-log",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default="-",
    show_default=True,
    help="Where the CDN logs one line per request ('-': stderr).",
)
@click.option(
    "--private",
    is_flag=True,
    help="Ask every request for a read token, as a deployed private index does "
    "(create one with `pyshelf token create NAME --endpoint-url <S3 endpoint>`). "
    "Default: public, anyone who reaches --host:--port reads the index.",
)
@click.option(
    "--upstream",
    metavar="URL",
    help="Redirect (307) the project pages of names not published here to this index, e.g. "
    "https://pypi.org/simple/ (ending in '/'; http:// only for 127.0.0.1 or localhost). "
    "Default: none, unknown names are 404.",
)
@click.option(
    "--reserve",
    "reserved",
    multiple=True,
    metavar="GLOB",
    help="A normalized project glob (`*`, `?`), e.g. 'acme-*', whose names are never redirected "
    "upstream, even before they are published here; repeatable; needs --upstream.",
)
def serve(
    *,
    host: str,
    port: int,
    s3_port: int,
    bucket: str,
    data: Path | None,
    access_log: Path,
    private: bool,
    upstream: str | None,
    reserved: tuple[str, ...],
) -> None:
    """Run an S3 + SQS emulator, the indexer and a local CDN in one process.

    The index is public unless --private is given; then the CDN checks tokens as the
    CloudFront Function does, against this process's token store, which `pyshelf token
    --endpoint-url <S3 endpoint>` manages.

    With --upstream, one index URL serves everything: a name published here (or reserved) is
    served here, even after its files are deleted (until `pyshelf release-name`); the page of
    any other name is redirected to the upstream.
    """
    settings = _checked_settings(upstream, reserved)
    stop = _stop_on_signals()
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        # Imported here: moto is optional (the `serve` extra) and slow to import.
        from pyshelf.local.runtime import ServeConfig, run  # noqa: PLC0415
    except ImportError as exc:
        raise CliError(f"{SERVE_EXTRA_HINT} ({exc})") from None
    config = ServeConfig(
        host=host,
        port=port,
        s3_port=s3_port,
        bucket=bucket,
        data=data,
        access="private" if private else "public",
        upstream=settings.upstream,
        reserved=settings.reserved,
    )
    with _open_log(access_log) as stream:
        run(config, stream, stop, _announce)  # a ServeError is shown as `Error: ...`, exit 1
    # Everything is stopped and saved: spare the interpreter's last garbage collection over the
    # emulator's objects, which otherwise delays the exit by about a second.
    gc.freeze()


def _checked_settings(upstream: str | None, reserved: tuple[str, ...]) -> EdgeSettings:
    """--upstream and --reserve as the local CDN takes them, or a usage error saying why not."""
    from pyshelf.local.edge_settings import local_edge_settings  # noqa: PLC0415 (see cli/run)

    if reserved and upstream is None:
        raise click.UsageError("--reserve needs --upstream: without one no name falls through")
    try:
        return local_edge_settings("public", upstream, reserved)
    except ValueError as exc:
        option = "--reserve" if str(exc).startswith("reserved") else "--upstream"
        raise click.BadParameter(str(exc), param_hint=option) from None


def _announce(text: str) -> None:
    click.echo(text)
    sys.stdout.flush()


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return stop


def _open_log(path: Path) -> TextIO:
    if str(path) == "-":
        return open(sys.stderr.fileno(), "w", encoding="utf-8", closefd=False)
    return path.open("a", encoding="utf-8")
