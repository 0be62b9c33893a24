"""`pyshelf reindex`: ask the indexer to rebuild pages (a request on its events queue, then wait
for its report), or, with --direct, rebuild them here with the operator's own credentials."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable

import click
from packaging.utils import NormalizedName

from pyshelf.cli.errors import CliError
from pyshelf.cli.reindex import AskOptions
from pyshelf.cli.run.connection import Connection, connect
from pyshelf.cli.run.indexer_request import ask_indexer
from pyshelf.cli.run.projects import did_you_mean, published_names
from pyshelf.cli.target import TargetOptions
from pyshelf.core.reindex_request import ProjectOutcome, ReindexReport, ReindexRequest
from pyshelf.indexer.project_set import ProjectSet
from pyshelf.indexer.regenerate import StillChanging
from pyshelf.indexer.requested import perform


def run_reindex(
    target: TargetOptions,
    projects: tuple[NormalizedName, ...] | None,
    *,
    direct: bool = False,
    ask: AskOptions,
) -> None:
    """Rebuild PROJECTS (None: every project found in the bucket), then the root."""
    request = ReindexRequest(
        str(uuid.uuid4()), None if projects is None else tuple(sorted(set(projects)))
    )
    names = functools.partial(_published, target)
    if direct:
        show(_direct(target, request), names)
        return
    report = ask_indexer(target, request, ReindexReport.loads, kind="reindex", ask=ask)
    if report is not None:
        show(report, names)


def _published(target: TargetOptions) -> list[str]:
    connection = connect(target)
    with connection.errors():
        return published_names(connection)


def _direct(target: TargetOptions, request: ReindexRequest) -> ReindexReport:
    """What the indexer does with a request (and the same report), with these credentials; with
    --endpoint-url, also the private set in `pyshelf serve`'s KeyValueStore."""
    connection = connect(target)
    with connection.errors():
        project_set = local_project_set(connection)
        try:
            return perform(connection.store, request, project_set)
        except StillChanging as exc:  # the root itself, or the private set
            raise CliError(f"{exc}; run reindex again") from None


def local_project_set(connection: Connection) -> ProjectSet | None:
    """The private set in `pyshelf serve`'s KeyValueStore (the emulator serves it on the S3
    endpoint), through the KeyValueStore API; None without --endpoint-url, or (with a
    warning) when the endpoint serves no such store (another S3-compatible service)."""
    endpoint = connection.target.endpoint_url
    if endpoint is None:
        return None
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    from pyshelf.access.cloudfront import CloudFrontKeyValueStore, client_for  # noqa: PLC0415
    from pyshelf.access.store import KeyValueStoreError  # noqa: PLC0415
    from pyshelf.constants import LOCAL_KVS_ARN  # noqa: PLC0415

    store = CloudFrontKeyValueStore(client_for(connection.session, endpoint), LOCAL_KVS_ARN)
    try:
        store.etag()
    except (KeyValueStoreError, ClientError, BotoCoreError) as exc:
        click.echo(
            f"warning: no pyshelf serve KeyValueStore at {endpoint} ({exc}); "
            "the private set is left as it is",
            err=True,
        )
        return None
    return ProjectSet(store)


def show(report: ReindexReport, published: Callable[[], list[str]] | None = None) -> None:
    """One line per project; then an error naming the unknown (with the closest `published`
    names), still-changing and failed ones."""
    for project in report.projects:
        click.echo(f"{project.name}: {_state(project)}")
    unknown = [p.name for p in report.projects if p.outcome == "unknown"]
    changing = [p.name for p in report.projects if p.outcome == "still-changing"]
    failed = [p.name for p in report.projects if p.outcome == "failed"]
    problems = []
    if unknown:
        close = did_you_mean(unknown, published()) if published else ""
        problems.append(f"no such project{_s(unknown)} in the bucket: {', '.join(unknown)}{close}")
    if changing:
        them = "them" if len(changing) > 1 else "it"
        problems.append(
            f"{', '.join(changing)} kept changing during the rebuild; run reindex again for {them}"
        )
    if failed:
        problems.append(f"{', '.join(failed)} failed (see the reason above and the indexer's log)")
    if problems:
        raise CliError("; ".join(problems))
    click.echo(f"reindexed {len(report.projects)} project(s) and the root")


def _state(project: ProjectOutcome) -> str:
    if project.outcome == "failed":
        return f"failed: {project.reason or 'no reason given'}"
    if project.outcome not in ("rebuilt", "unchanged"):
        return project.outcome
    if project.files:
        return f"{project.outcome}, {project.files} file(s)"
    if project.outcome == "rebuilt":
        return "rebuilt, no files (removed from the index)"
    return "unchanged, no files"


def _s(names: list[str]) -> str:
    return "s" if len(names) > 1 else ""
