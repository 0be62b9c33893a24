"""Asking the indexer (`pyshelf reindex`, `pyshelf release-name`): put a request on its events
queue, then read its report (`_pyshelf/reindex/<ID>.json`) once the indexer has written it."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol, TypeVar

import click

from pyshelf.cli.errors import CliError, TimedOut
from pyshelf.cli.reindex import AskOptions
from pyshelf.cli.run.connection import connect, events_queue
from pyshelf.cli.target import TargetOptions
from pyshelf.storage import Storage


class Request(Protocol):
    """A request as `pyshelf.core.reindex_request` and `release_request` define them."""

    @property
    def request_id(self) -> str: ...

    @property
    def report_key(self) -> str: ...

    def dumps(self) -> str: ...


class Report(Protocol):
    @property
    def request_id(self) -> str: ...


ReportT = TypeVar("ReportT", bound=Report)


def ask_indexer(
    target: TargetOptions,
    request: Request,
    loads: Callable[[bytes], ReportT],
    *,
    kind: str,
    ask: AskOptions,
) -> ReportT | None:
    """Send `request` (a `kind` request: "reindex", "release-name") and return its report, read
    with `loads`; None when not asked to wait (the request id and report key are printed)."""
    connection = connect(target, queue=ask.queue_url is None)  # the stack may name the queue
    with connection.errors():
        queue = events_queue(connection, ask.queue_url)
        queue.send(request.dumps())
        where = connection.url_of(request.report_key)
        if not ask.wait:
            click.echo(f"sent to {queue.url}; the indexer writes its report when done", err=True)
            click.echo(f"request: {request.request_id}")
            click.echo(f"report: {where}")
            return None
        click.echo(
            f"sent {kind} request {request.request_id} to {queue.url}; "
            f"waiting up to {ask.timeout:g}s for its report",
            err=True,
        )
        report = wait_for_report(
            connection.store, request, loads, timeout=ask.timeout, interval=ask.interval
        )
        if report is None:
            raise TimedOut(
                f"no report for {kind} request {request.request_id} after {ask.timeout:g}s "
                f"(is the indexer running?); it will appear at {where}"
            )
    return report


def wait_for_report(
    store: Storage,
    request: Request,
    loads: Callable[[bytes], ReportT],
    *,
    timeout: float,
    interval: float,
) -> ReportT | None:
    """The request's report once the indexer has written it (a GET every `interval` seconds),
    or None after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        blob = store.get(request.report_key)
        if blob is not None:
            return _parsed(blob.body, request, loads)
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        time.sleep(min(interval, left))


def _parsed(body: bytes, request: Request, loads: Callable[[bytes], ReportT]) -> ReportT:
    try:
        report = loads(body)
    except ValueError as exc:
        raise CliError(f"{request.report_key}: {exc}") from None
    if report.request_id != request.request_id:
        raise CliError(f"{request.report_key}: a report of request {report.request_id!r}")
    return report
