"""`pyshelf restore`: deleted files back from the bucket's kept versions."""

from __future__ import annotations

import click
from packaging.utils import NormalizedName
from packaging.version import Version

from pyshelf.cli.errors import CliError
from pyshelf.cli.run.connection import Connection, connect
from pyshelf.cli.run.projects import did_you_mean, published_names
from pyshelf.cli.target import TargetOptions
from pyshelf.publish.restore import (
    REFUSAL_HINT,
    Deleted,
    Live,
    NameTaken,
    Survey,
    Versions,
    chosen,
    yanks_with,
)

TIME = "%Y-%m-%d %H:%M:%S UTC"


def run_restore(
    target: TargetOptions, project: NormalizedName, wanted: Version | str | None, *, list_: bool
) -> None:
    connection = connect(target)
    with connection.errors():
        _require_versioning(connection)
        versions = Versions(connection.s3, connection.store)
        survey = versions.survey(project)
        if list_:
            _show(connection, project, survey)
            return
        assert wanted is not None
        files, live = chosen(survey, wanted)
        if isinstance(wanted, str):  # a filename: is the name free?
            for entry in live:
                _check_free(connection, versions, entry)
        if not files:
            _nothing(connection, project, wanted, survey, live)
        for yank in yanks_with(survey, files):
            reason = versions.restore_yank(yank)
            click.echo(f"restored the yank record of {project} {yank.version} ({reason!r})")
        for deleted in files:
            sha256 = versions.restore_file(deleted)
            kept = deleted.previous.last_modified.strftime(TIME)
            click.echo(
                f"restored: {connection.url_of(deleted.key)}  sha256={sha256}  "
                f"(the version of {kept})"
            )
        click.echo("the indexer lists them as any upload, within seconds")


def _require_versioning(connection: Connection) -> None:
    bucket = connection.target.bucket
    status = connection.s3.get_bucket_versioning(Bucket=bucket).get("Status")
    if status not in ("Enabled", "Suspended"):
        raise CliError(
            f"bucket {bucket!r} keeps no versions (versioning is off): nothing to restore"
        )


def _check_free(connection: Connection, versions: Versions, entry: Live) -> None:
    key = connection.url_of(entry.history.key)
    if versions.same_bytes(entry.history):
        click.echo(f"already there: {key} holds the same bytes as its kept version")
        return
    raise NameTaken(f"{key} now holds a different file: not restored ({REFUSAL_HINT})")


def _nothing(
    connection: Connection,
    project: NormalizedName,
    wanted: Version | str,
    survey: Survey,
    live: list[Live],
) -> None:
    if live:  # asked by filename, and it is there with the same bytes
        return
    bucket = connection.target.bucket
    if not (survey.files or survey.yanks or survey.live):
        known = published_names(connection)
        if project not in known:
            raise CliError(
                f"no project {project!r} in the versions of bucket {bucket!r}"
                f"{did_you_mean([project], known)}"
            )
    what = f"{project} {wanted}" if isinstance(wanted, Version) else wanted
    raise CliError(
        f"nothing to restore: no deleted file of {what} is kept in bucket {bucket!r} "
        f"(`pyshelf restore {project} --list` shows what can be restored)"
    )


def _show(connection: Connection, project: NormalizedName, survey: Survey) -> None:
    bucket = connection.target.bucket
    if not survey.files:
        click.echo(f"nothing to restore: no deleted file of {project} is kept in bucket {bucket!r}")
        return
    click.echo(f"deleted files of {project} kept in bucket {bucket!r}:")
    for deleted in survey.files:
        click.echo(f"  {_row(deleted)}")
    yanks = yanks_with(survey, survey.files)
    for yank in yanks:
        click.echo(f"  yank record of {yank.version}, restored with its release")
    click.echo(f"restore with: pyshelf restore {project} VERSION|FILENAME")


def _row(deleted: Deleted) -> str:
    assert deleted.dist is not None
    when = deleted.deleted_at.strftime(TIME) if deleted.deleted_at else "?"
    size = deleted.previous.size
    return f"{deleted.version}  {deleted.dist.filename}  {size} bytes  deleted {when}"
