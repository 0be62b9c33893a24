"""`pyshelf upload`: check every file, plan, upload without overwriting, optionally wait."""

from __future__ import annotations

import logging
import sys
from collections import defaultdict
from pathlib import Path

import click
from packaging.utils import NormalizedName

from pyshelf.cli.errors import Conflict, InvalidFiles, TimedOut
from pyshelf.cli.progress import Progress
from pyshelf.cli.run.connection import Connection, connect
from pyshelf.cli.target import TargetOptions
from pyshelf.publish.checks import LocalDistribution, check_all
from pyshelf.publish.index_reader import BucketIndex, HttpIndex, Index, wait_until_listed
from pyshelf.publish.transfer import Action, Planned, Uploader


def run_upload(
    target: TargetOptions,
    dists: tuple[Path, ...],
    *,
    overwrite: bool,
    dry_run: bool,
    wait: bool,
    timeout: float,
    interval: float,
    verbose: bool = False,
) -> None:
    if verbose:
        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    files = checked(dists, verbose=verbose)
    connection = connect(target)
    if wait and connection.target.index_url and not dry_run:
        HttpIndex(connection.target.index_url).check_root()  # a wrong URL fails now, not later
    with connection.errors():
        publish_files(connection, files, overwrite=overwrite, dry_run=dry_run)
        if wait and not dry_run:
            _wait(connection, files, timeout, interval)


def publish_files(
    connection: Connection, files: list[LocalDistribution], *, overwrite: bool, dry_run: bool
) -> None:
    """Plan, refuse conflicts (exit 4) and upload checked files, printing what happens; with
    dry_run, print the plan only. `pyshelf upload` and `pyshelf mirror` publish through it."""
    uploader = Uploader(connection.store)
    plan = uploader.plan(files, overwrite=overwrite)
    if dry_run:  # the whole plan, then the conflicts (exit 4) if there are any
        _report(connection, plan, dry_run=True)
    _refuse_conflicts(connection, plan)
    if dry_run:
        return
    done = _send(connection, uploader, plan)
    _report(connection, done, dry_run=False)
    _refuse_conflicts(connection, done)


def checked(paths: tuple[Path, ...], *, verbose: bool = False) -> list[LocalDistribution]:
    """The files, all valid; else one line for one invalid file, one per file and a summary
    for several (with -v: every line, and each file's full path)."""
    files, problems = check_all(path.resolve() if verbose else path for path in paths)
    if len(problems) == 1 and not verbose:
        raise InvalidFiles(f"{problems[0]} (nothing was uploaded)")
    for problem in problems:
        click.echo(f"invalid: {problem}", err=True)
    if problems:
        raise InvalidFiles(f"{len(problems)} invalid file(s); nothing was uploaded")
    return files


def _refuse_conflicts(connection: Connection, plan: list[Planned]) -> None:
    conflicts = [p for p in plan if p.action is Action.CONFLICT]
    for p in conflicts:
        click.echo(
            f"conflict: {connection.url_of(p.local.key)} holds other bytes "
            f"(sha256 {p.remote_sha256}, local {p.local.sha256})",
            err=True,
        )
    if conflicts:
        raise Conflict(
            f"{len(conflicts)} file(s) already exist with different bytes; nothing was "
            "overwritten: publish a new version instead (--overwrite replaces the bytes, which "
            "breaks hash-pinned lockfiles and the caches that hold the old ones)",
        )


def _send(connection: Connection, uploader: Uploader, plan: list[Planned]) -> list[Planned]:
    """Send the plan in order; when a file fails, say which files made it before the error."""
    done: list[Planned] = []
    try:
        _send_each(uploader, plan, done)
    except BaseException:
        _report(connection, done, dry_run=False)
        missing = [p for p in plan[len(done) :] if p.action in (Action.UPLOAD, Action.OVERWRITE)]
        for p in missing:
            click.echo(f"not uploaded: {connection.url_of(p.local.key)}", err=True)
        click.echo(
            f"upload stopped: {len(missing)} file(s) not uploaded; the files listed above are "
            "in the bucket (run the same upload again: they are skipped)",
            err=True,
        )
        raise
    return done


def _send_each(uploader: Uploader, plan: list[Planned], done: list[Planned]) -> None:
    moving = [p for p in plan if p.action in (Action.UPLOAD, Action.OVERWRITE)]
    progress = Progress.for_terminal(
        sys.stderr, count=len(moving), total=sum(p.local.size for p in moving)
    )
    try:
        for p in plan:
            if p in moving:
                progress.start(p.local.filename, p.local.size)
            done.append(uploader.send(p, progress.advance))
    finally:
        progress.finish()


_VERBS = {
    (Action.UPLOAD, True): "would upload",
    (Action.OVERWRITE, True): "would overwrite",
    (Action.SKIP, True): "would skip",
    (Action.UPLOAD, False): "uploaded",
    (Action.OVERWRITE, False): "overwrote",
    (Action.SKIP, False): "skipped",
}


def _report(connection: Connection, plan: list[Planned], *, dry_run: bool) -> None:
    for p in plan:
        verb = _VERBS.get((p.action, dry_run))
        if verb is None:
            continue
        note = "  (already there with the same sha256)" if p.action is Action.SKIP else ""
        click.echo(f"{verb}: {connection.url_of(p.local.key)}  sha256={p.local.sha256}{note}")


def _wait(
    connection: Connection, files: list[LocalDistribution], timeout: float, interval: float
) -> None:
    index_url = connection.target.index_url
    index: Index = HttpIndex(index_url) if index_url else BucketIndex(connection.store)
    expected: dict[NormalizedName, dict[str, str]] = defaultdict(dict)
    for local in files:
        expected[local.project][local.filename] = local.sha256
    where = index_url or connection.url_of("")
    click.echo(f"waiting up to {timeout:g}s for {where} to list {len(files)} file(s)", err=True)
    result = wait_until_listed(index, expected, timeout=timeout, interval=interval)
    if result.missing:
        detail = f" (last error: {result.problem})" if result.problem else ""
        names = ", ".join(sorted(result.missing))
        raise TimedOut(f"timed out after {timeout:g}s; not listed yet: {names}{detail}")
    click.echo(f"indexed: {len(files)} file(s) listed with their sha256")
    projects = " ".join(sorted(expected))
    if index_url:
        click.echo(f"pip install --index-url {index_url} {projects}")
    else:
        click.echo(f"pip install --index-url <your index URL> {projects}  (see --index-url)")
