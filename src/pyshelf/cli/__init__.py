"""The `pyshelf` command line: each command lives in its own module and is registered here."""

from __future__ import annotations

import click

from pyshelf import __version__
from pyshelf.cli.serve import serve


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pyshelf")
def main() -> None:
    """pyshelf: a serverless Python package index on S3 + CloudFront."""


main.add_command(serve)
