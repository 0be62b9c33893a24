"""`pyshelf reindex`: ask the indexer to rebuild pages (a request on its events queue, then wait
for its report), or, with --direct, rebuild them here with the operator's own credentials."""

from __future__ import annotations

import time
import uuid

import click
from packaging.utils import NormalizedName

from pyshelf.cli.errors import CliError, TimedOut
from pyshelf.cli.run.connection import connect, events_queue
from pyshelf.cli.target import TargetOptions
from pyshelf.core.reindex_request import ProjectOutcome, ReindexReport, ReindexRequest
from pyshelf.indexer.regenerate import StillChanging
from pyshelf.indexer.requested import perform
from pyshelf.storage import Storage


def run_reindex(
    target: TargetOptions,
    projects: tuple[NormalizedName, ...] | None,
    *,
    direct: bool = False,
    wait: bool = True,
    queue_url: str | None = None,
    timeout: float = 300.0,
    interval: float = 1.0,
) -> None:
    """Rebuild PROJECTS (None: every project found in the bucket), then the root."""
    request = ReindexRequest(
        str(uuid.uuid4()), None if projects is None else tuple(sorted(set(projects)))
    )
    if direct:
        show(_direct(target, request))
        return
    connection = connect(target, queue=queue_url is None)  # the stack may name the queue
    with connection.errors():
        queue = events_queue(connection, queue_url)
        queue.send(request.dumps())
        where = connection.url_of(request.report_key)
        if not wait:
            click.echo(f"sent to {queue.url}; the indexer writes its report when done", err=True)
            click.echo(f"request: {request.request_id}")
            click.echo(f"report: {where}")
            return
        click.echo(
            f"sent reindex request {request.request_id} to {queue.url}; "
            f"waiting up to {timeout:g}s for its report",
            err=True,
        )
        report = wait_for_report(connection.store, request, timeout=timeout, interval=interval)
        if report is None:
            raise TimedOut(
                f"no report for reindex request {request.request_id} after {timeout:g}s "
                f"(is the indexer running?); it will appear at {where}"
            )
    show(report)


def _direct(target: TargetOptions, request: ReindexRequest) -> ReindexReport:
    """What the indexer does with a request (and the same report), with these credentials."""
    connection = connect(target)
    with connection.errors():
        try:
            return perform(connection.store, request)
        except StillChanging as exc:  # the root itself
            raise CliError(f"{exc}; run reindex again") from None


def wait_for_report(
    store: Storage, request: ReindexRequest, *, timeout: float, interval: float
) -> ReindexReport | None:
    """The request's report once the indexer has written it (a GET every `interval` seconds),
    or None after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        blob = store.get(request.report_key)
        if blob is not None:
            return _parsed(blob.body, request)
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        time.sleep(min(interval, left))


def _parsed(body: bytes, request: ReindexRequest) -> ReindexReport:
    try:
        report = ReindexReport.loads(body)
    except ValueError as exc:
        raise CliError(f"{request.report_key}: {exc}") from None
    if report.request_id != request.request_id:
        raise CliError(f"{request.report_key}: a report of request {report.request_id!r}")
    return report


def show(report: ReindexReport) -> None:
    """One line per project; then an error naming the unknown and still-changing ones."""
    for project in report.projects:
        click.echo(f"{project.name}: {_state(project)}")
    unknown = [p.name for p in report.projects if p.outcome == "unknown"]
    changing = [p.name for p in report.projects if p.outcome == "still-changing"]
    problems = []
    if unknown:
        problems.append(f"no such project{_s(unknown)} in the bucket: {', '.join(unknown)}")
    if changing:
        them = "them" if len(changing) > 1 else "it"
        problems.append(
            f"{', '.join(changing)} kept changing during the rebuild; run reindex again for {them}"
        )
    if problems:
        raise CliError("; ".join(problems))
    click.echo(f"reindexed {len(report.projects)} project(s) and the root")


def _state(project: ProjectOutcome) -> str:
    if project.outcome not in ("rebuilt", "unchanged"):
        return project.outcome
    if project.files:
        return f"{project.outcome}, {project.files} file(s)"
    if project.outcome == "rebuilt":
        return "rebuilt, no files (removed from the index)"
    return "unchanged, no files"


def _s(names: list[str]) -> str:
    return "s" if len(names) > 1 else ""
