"""`pyshelf delete`, `pyshelf yank`, `pyshelf unyank`: change what a project offers."""

from __future__ import annotations

import click
from botocore.exceptions import ClientError
from packaging.utils import NormalizedName
from packaging.version import Version

from pyshelf.cli import arguments
from pyshelf.cli.errors import EXIT_CODES_HELP, CliError
from pyshelf.cli.target import Connection, TargetOptions, connect, target_options
from pyshelf.publish import releases
from pyshelf.storage.folder import ProjectFolder

DELETE_EPILOG = f"""\b
Examples:
  pyshelf delete --stack pyshelf-prod foo 1.0          # every file of foo 1.0
  pyshelf delete --stack pyshelf-prod foo --file foo-1.0-py3-none-any.whl
  pyshelf delete --bucket my-index --yes foo           # every file of foo, no question

{EXIT_CODES_HELP}
"""
YANK_EPILOG = f"""\b
Examples:
  pyshelf yank --stack pyshelf-prod foo 1.0 --reason "broken on Windows, use 1.0.1"
  pyshelf unyank --stack pyshelf-prod foo 1.0

{EXIT_CODES_HELP}
"""


@click.command(epilog=DELETE_EPILOG)
@click.argument("project", callback=arguments.project)
@click.argument("version", required=False, callback=arguments.version)
@click.option("--file", "filename", help="Delete only this filename.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@target_options
def delete(
    target: TargetOptions,
    project: NormalizedName,
    version: Version | None,
    filename: str | None,
    yes: bool,
) -> None:
    """Delete distributions of PROJECT (all, one VERSION, or one --file).

    Shows what will go and asks first. Only distributions are deleted (and the yank record of a
    release left with no file); the indexer then removes their .metadata files and rewrites the
    pages. With bucket versioning (on in pyshelf stacks)
    a deleted file stays recoverable as a previous object version.
    """
    connection = connect(target)
    with connection.errors():
        folder = ProjectFolder.take(connection.store, project)
        stored = releases.stored_distributions(folder)
        chosen = releases.select(stored, version=version, filename=filename)
        if not chosen:
            raise CliError(
                f"nothing to delete: no {_what(project, version, filename)} in the bucket"
            )
        click.echo(f"{len(chosen)} file(s) of {project} will be deleted:")
        for listed in chosen:
            click.echo(f"  {connection.url_of(listed.key)}  ({listed.size} bytes)")
        click.echo(_recoverability(connection))
        if not yes:
            click.confirm("Delete them?", abort=True)
        for gone in chosen:
            connection.store.delete(gone.key)
            click.echo(f"deleted: {connection.url_of(gone.key)}")
        # A release with no file left loses its yank record too, so a later upload of that
        # version is not born yanked.
        for emptied in sorted(releases.emptied_versions(stored, chosen)):
            if releases.unyank(connection.store, folder, emptied):
                click.echo(f"removed the yank record of {project} {emptied}")


def _what(project: NormalizedName, version: Version | None, filename: str | None) -> str:
    parts = [f"files of {project}"]
    if version is not None:
        parts.append(f"version {version}")
    if filename:
        parts.append(f"named {filename}")
    return " ".join(parts)


def _recoverability(connection: Connection) -> str:
    try:
        response = connection.s3.get_bucket_versioning(Bucket=connection.target.bucket)
    except ClientError:
        return "Note: could not read the bucket's versioning status (no permission?)."
    status = response.get("Status")
    if status == "Enabled":
        return (
            "The bucket keeps old versions (versioning is on): a deleted file can be restored "
            "from its previous version."
        )
    return "Warning: versioning is NOT enabled on this bucket: the deletion cannot be undone."


@click.command(epilog=YANK_EPILOG)
@click.argument("project", callback=arguments.project)
@click.argument("version", callback=arguments.version)
@click.option("--reason", default="", help="Why the release is yanked (shown by pip).")
@target_options
def yank(target: TargetOptions, project: NormalizedName, version: Version, reason: str) -> None:
    """Yank release VERSION of PROJECT (PEP 592): pip skips it unless pinned exactly.

    Writes the yank record <project>/<version>.yank; the indexer marks every file of the release.
    Yanking again replaces the reason.
    """
    connection = connect(target)
    with connection.errors():
        folder = ProjectFolder.take(connection.store, project)
        if not releases.select(releases.stored_distributions(folder), version=version):
            raise CliError(f"nothing to yank: no files of {project} {version} in the bucket")
        key = releases.yank(connection.store, folder, project, version, reason)
    suffix = f" ({reason})" if reason else ""
    click.echo(f"yanked: {project} {version}{suffix}  [{connection.url_of(key)}]")


@click.command(epilog=YANK_EPILOG)
@click.argument("project", callback=arguments.project)
@click.argument("version", callback=arguments.version)
@target_options
def unyank(target: TargetOptions, project: NormalizedName, version: Version) -> None:
    """Undo a yank: delete the yank record of release VERSION of PROJECT."""
    connection = connect(target)
    with connection.errors():
        removed = releases.unyank(
            connection.store, ProjectFolder.take(connection.store, project), version
        )
    if removed:
        click.echo(f"unyanked: {project} {version}")
    else:
        click.echo(f"{project} {version} was not yanked; nothing to do")
