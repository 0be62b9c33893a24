"""The `pyshelf` command line: each command's options and help live in its own module and are
registered here; what a command does is in `pyshelf.cli.run`, imported only when it runs. Errors
are shown in one place, `pyshelf.cli.errors.PyshelfGroup`."""

from __future__ import annotations

import click

from pyshelf import __version__
from pyshelf.cli.errors import EXIT_CODES_HELP, PyshelfGroup
from pyshelf.cli.listing import list_
from pyshelf.cli.manage import delete, unyank, yank
from pyshelf.cli.mirror import mirror
from pyshelf.cli.reindex import reindex
from pyshelf.cli.release_name import release_name
from pyshelf.cli.restore import restore
from pyshelf.cli.serve import serve
from pyshelf.cli.token import token
from pyshelf.cli.upload import upload

EPILOG = f"""\b
Target selection (every command but serve): --stack NAME reads the BucketName and IndexUrl
outputs of a deployed stack; --bucket, --index-url, --endpoint-url, --profile, --region set or
override them; --target NAME fills what is left unset from a target of your pyshelf.toml.
Precedence: flags, then environment, then the config file.

\b
Environment variables:
  PYSHELF_TARGET        --target: a target of the config file
  PYSHELF_CONFIG        the config file (default: $XDG_CONFIG_HOME/pyshelf/pyshelf.toml,
                        else ~/.config/pyshelf/pyshelf.toml)
  PYSHELF_STACK         --stack: a deployed stack whose outputs name the bucket and index URL
  PYSHELF_BUCKET        --bucket: the bucket
  PYSHELF_INDEX_URL     --index-url: the index URL pip and uv use
  PYSHELF_ENDPOINT_URL  --endpoint-url: an S3 endpoint (pyshelf serve's, or S3-compatible)
  PYSHELF_PROFILE       --profile: the AWS profile
  PYSHELF_REGION        --region: the AWS region
  PYSHELF_QUEUE_URL     --queue-url of reindex and release-name: the indexer's events queue
  PYSHELF_KVS_ARN       --kvs-arn of token: the KeyValueStore of the tokens
  PYSHELF_TOKEN         a read token, sent to a private index (upload --wait, mirror)

{EXIT_CODES_HELP}
"""


@click.group(
    cls=PyshelfGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=EPILOG
)
@click.version_option(__version__, prog_name="pyshelf")
def main() -> None:
    """pyshelf: a serverless Python package index on S3 + CloudFront."""


main.add_command(serve)
for _command in (
    upload,
    mirror,
    delete,
    restore,
    yank,
    unyank,
    list_,
    reindex,
    release_name,
    token,
):
    main.add_command(_command)
