"""`pyshelf delete`, `pyshelf yank`, `pyshelf unyank`: change what a project offers."""

from __future__ import annotations

import click
from botocore.exceptions import ClientError
from packaging.utils import NormalizedName
from packaging.version import Version

from pyshelf.cli.errors import CliError
from pyshelf.cli.run.connection import Connection, connect
from pyshelf.cli.run.projects import did_you_mean, published_names
from pyshelf.cli.run.prompts import confirm
from pyshelf.cli.target import TargetOptions
from pyshelf.publish import releases
from pyshelf.storage.folder import ProjectFolder


def run_delete(
    target: TargetOptions,
    project: NormalizedName,
    version: Version | None,
    filename: str | None,
    yes: bool,
) -> None:
    connection = connect(target)
    with connection.errors():
        folder = ProjectFolder.take(connection.store, project)
        stored = releases.stored_distributions(folder)
        chosen = releases.select(stored, version=version, filename=filename)
        if not chosen:
            close = "" if stored else did_you_mean([project], published_names(connection))
            raise CliError(
                f"nothing to delete: no {_what(project, version, filename)} in the bucket{close}"
            )
        click.echo(f"{len(chosen)} file(s) of {project} will be deleted:")
        for listed in chosen:
            click.echo(f"  {connection.url_of(listed.key)}  ({listed.size} bytes)")
        click.echo(_recoverability(connection))
        if not yes:
            confirm("Delete them?")
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
            "from its previous version (`pyshelf restore`)."
        )
    return "Warning: versioning is NOT enabled on this bucket: the deletion cannot be undone."


def run_yank(target: TargetOptions, project: NormalizedName, version: Version, reason: str) -> None:
    connection = connect(target)
    with connection.errors():
        folder = ProjectFolder.take(connection.store, project)
        stored = releases.stored_distributions(folder)
        if not releases.select(stored, version=version):
            close = "" if stored else did_you_mean([project], published_names(connection))
            raise CliError(f"nothing to yank: no files of {project} {version} in the bucket{close}")
        key = releases.yank(connection.store, folder, project, version, reason)
    suffix = f" ({reason})" if reason else ""
    click.echo(f"yanked: {project} {version}{suffix}  [{connection.url_of(key)}]")


def run_unyank(target: TargetOptions, project: NormalizedName, version: Version) -> None:
    connection = connect(target)
    with connection.errors():
        removed = releases.unyank(
            connection.store, ProjectFolder.take(connection.store, project), version
        )
    if removed:
        click.echo(f"unyanked: {project} {version}")
    else:
        click.echo(f"{project} {version} was not yanked; nothing to do")
