"""`pyshelf mirror`: options and help; the work is `pyshelf.cli.run.mirror`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import click

from pyshelf.cli import arguments
from pyshelf.cli.errors import EXIT_CODES_HELP, UsageProblem
from pyshelf.cli.target import TargetOptions, target_options

EPILOG = f"""\b
Examples:
  pyshelf mirror --stack pyshelf-prod -r requirements.txt
  pyshelf mirror --stack pyshelf-prod -r requirements.txt --dry-run
  pyshelf mirror --target local -r requirements.txt \\
      --python-version 3.12 --platform manylinux_2_28_x86_64 --only-binary :all:
  PIP_INDEX_URL=https://mirror.example/simple/ pyshelf mirror --target prod -r req.txt

{EXIT_CODES_HELP}
"""
ONLY_BINARY_NEEDED = (
    "--platform and --python-version need --only-binary :all: (pip downloads only wheels for "
    "another interpreter: it cannot build a sdist for it)"
)


@dataclass(frozen=True, slots=True)
class PipOptions:
    """What is passed on to `python -m pip download` (and `pip install --dry-run`)."""

    requirements: tuple[Path, ...]
    python_version: str | None = None
    platforms: tuple[str, ...] = ()
    only_binary: tuple[str, ...] = ()

    def arguments(self) -> list[str]:
        args = [arg for path in self.requirements for arg in ("-r", str(path))]
        if self.python_version:
            args += ["--python-version", self.python_version]
        args += [arg for platform in self.platforms for arg in ("--platform", platform)]
        args += [arg for names in self.only_binary for arg in ("--only-binary", names)]
        return args


@click.command(epilog=EPILOG)
@click.option(
    "-r",
    "--requirement",
    "requirements",
    multiple=True,
    required=True,
    type=click.Path(path_type=Path),
    callback=arguments.existing_paths,
    help="A requirements file (repeatable), as pip takes it.",
)
@click.option("--python-version", help="Resolve for this Python (pip's --python-version).")
@click.option(
    "--platform", "platforms", multiple=True, help="A wheel platform tag (repeatable; pip's)."
)
@click.option(
    "--only-binary",
    "only_binary",
    multiple=True,
    help="Only wheels for these names, or :all: (pip's; needed with --platform/--python-version).",
)
@click.option("--dry-run", is_flag=True, help="Resolve and list what would be fetched; no upload.")
@target_options
def mirror(
    *,
    target: TargetOptions,
    requirements: tuple[Path, ...],
    python_version: str | None,
    platforms: tuple[str, ...],
    only_binary: tuple[str, ...],
    dry_run: bool,
) -> None:
    """Download what a requirements file resolves to (dependencies included) with this
    environment's pip, then upload it to the index as `pyshelf upload` does.

    pip resolves against its own index settings (PIP_INDEX_URL, pip.conf, --index-url lines in
    the file) and evaluates environment markers as it does: for this interpreter and machine;
    --platform and --python-version choose the wheels (tags, Requires-Python). Existing files
    are never overwritten: the same bytes are skipped, other bytes stop the upload (exit 4).
    Every mirrored project becomes a private name of the index: with fall-through it is served
    here, never from the upstream (the names made private are printed).
    """
    if (python_version or platforms) and ":all:" not in only_binary:
        raise UsageProblem(ONLY_BINARY_NEEDED)
    from pyshelf.cli.run.mirror import run_mirror  # noqa: PLC0415 (slow import: see cli/run)

    options = PipOptions(requirements, python_version, platforms, only_binary)
    run_mirror(target, options, dry_run=dry_run)
