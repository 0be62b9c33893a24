"""`pyshelf mirror`: pip resolves and downloads, then the files are published as `upload` does."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import click

from pyshelf.cli.errors import CliError
from pyshelf.cli.mirror import PipOptions
from pyshelf.cli.run.connection import connect
from pyshelf.cli.run.projects import published_names
from pyshelf.cli.run.upload import checked, publish_files
from pyshelf.cli.target import TargetOptions

PIP = (sys.executable, "-m", "pip")
QUIET = ("--disable-pip-version-check", "--no-input", "--progress-bar", "off")
PIP_TIMEOUT_SECONDS = 1800


def run_mirror(target: TargetOptions, options: PipOptions, *, dry_run: bool) -> None:
    connection = connect(target)
    if dry_run:
        for name, version, url in resolved(options):
            click.echo(f"would fetch: {name} {version}  {url.rsplit('/', 1)[-1]}")
        return
    with tempfile.TemporaryDirectory(prefix="pyshelf-mirror-") as folder:
        files = downloaded(options, Path(folder))
        click.echo(f"pip fetched {len(files)} file(s)", err=True)
        local = checked(tuple(files))
        with connection.errors():
            before = set(published_names(connection))
            publish_files(connection, local, overwrite=False, dry_run=False)
    _say_private({dist.project for dist in local}, before)


def downloaded(options: PipOptions, folder: Path) -> list[Path]:
    """`pip download` of the requirements (and their dependencies) into folder."""
    _pip("download", "--dest", str(folder), *options.arguments())
    return sorted(path for path in folder.iterdir() if path.is_file())


def resolved(options: PipOptions) -> list[tuple[str, str, str]]:
    """(name, version, URL) of what pip would fetch: its dry-run install report."""
    with tempfile.TemporaryDirectory(prefix="pyshelf-mirror-") as folder:
        report = Path(folder) / "report.json"
        _pip(
            "install", "--dry-run", "--ignore-installed", "--report", str(report),
            *options.arguments(),
        )  # fmt: skip
        items = json.loads(report.read_text())["install"]
    return [
        (item["metadata"]["name"], item["metadata"]["version"], item["download_info"]["url"])
        for item in items
    ]


def _pip(*args: str) -> None:
    command = [*PIP, args[0], *QUIET, *args[1:]]
    result = subprocess.run(
        command, capture_output=True, text=True, check=False, timeout=PIP_TIMEOUT_SECONDS
    )
    if result.returncode != 0:
        errors = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
        reason = errors[-1] if errors else (result.stderr.strip().splitlines() or ["?"])[-1]
        raise CliError(f"pip {args[0]} failed (exit {result.returncode}): {reason}")


def _say_private(mirrored: set[str], before: set[str]) -> None:
    """Which names the mirror made private (published here for the first time)."""
    new = sorted(mirrored - before)
    if new:
        click.echo(
            f"now private on this index (served here, never from an upstream with fall-through; "
            f"docs/fallthrough.md): {', '.join(new)}"
        )
    else:
        click.echo("no new private names: every mirrored project was already published here")
