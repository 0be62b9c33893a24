"""Process one batch of events: group by project, refile misplaced uploads, index each affected
project once, the root only when the project set may have changed, perform any reindex and
release requests (`pyshelf reindex`, `pyshelf release-name`), and report failures per message
(SQS partial batch response).

A project is indexed from its event keys and its facts cache, without a listing
(`pyshelf.indexer.hotpath`), unless one of its messages is a redelivery (the first delivery
failed or timed out) or its cache is unreadable: then it is regenerated from a listing of its
folder (`pyshelf.indexer.regenerate`).

`project_set` is the private set of an index that falls through to PyPI (docs/fallthrough.md);
None (no fall-through) makes no KeyValueStore request.

`invalidator` drops the edge paths of files replaced or removed, once per batch
(`pyshelf.indexer.invalidation`); None (not configured) makes no extra request.

`deadline` (`pyshelf.indexer.deadline`) says when to stop starting work: projects not started,
and the rest of those cut short (after a checkpoint), are handed on through `requeue` in a
continuation message (`pyshelf.core.continuation`), and their messages succeed. Only messages
whose work failed (or could not be handed on) are reported in the partial batch response."""

from __future__ import annotations

import gc
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

from packaging.utils import NormalizedName

from pyshelf.core import layout
from pyshelf.core.continuation import Continuation, ContinuedProject, bodies
from pyshelf.core.errors import PyshelfError
from pyshelf.core.events import PLAIN_S3_EVENT, Message, ObjectEvent, messages_of
from pyshelf.core.reindex_request import ReindexRequest
from pyshelf.core.release_request import ReleaseRequest
from pyshelf.indexer.deadline import UNLIMITED, Deadline
from pyshelf.indexer.hotpath import NeedsListing, apply_events, write_people_page
from pyshelf.indexer.invalidation import EdgeChanges, Invalidator
from pyshelf.indexer.project_set import ProjectSet
from pyshelf.indexer.refile import refile
from pyshelf.indexer.regenerate import (
    ProjectResult,
    Unfinished,
    discover_projects,
    regenerate_project,
    regenerate_root,
)
from pyshelf.indexer.requested import perform_release, perform_until
from pyshelf.indexer.summaries import update_summaries
from pyshelf.storage import Storage

log = logging.getLogger(__name__)

# A reindex request whose report has such a row is reported, then its message is retried.
RETRIED_OUTCOMES = frozenset({"failed", "still-changing"})

Requeue = Callable[[str], None]
"""Puts a message body on the events queue (the Lambda handler sends it with its SQS client)."""


class BatchFailed(PyshelfError, RuntimeError):
    """A plain (non-SQS) event could not be fully processed; the invoker should retry."""


@dataclass(slots=True)
class Plan:
    projects: dict[NormalizedName, set[str]] = field(default_factory=lambda: defaultdict(set))
    keys: dict[NormalizedName, set[str]] = field(default_factory=lambda: defaultdict(set))
    relist: set[NormalizedName] = field(default_factory=set)  # redelivered: take the listing
    reindex: list[tuple[str, ReindexRequest]] = field(default_factory=list)
    release: list[tuple[str, ReleaseRequest]] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)
    gone: dict[NormalizedName, set[str]] = field(default_factory=lambda: defaultdict(set))
    retried: bool = False  # some message is a redelivery: re-check the root
    later: dict[NormalizedName, ContinuedProject] = field(default_factory=dict)  # handed on
    # Pages for people: left by this batch's events to a follow-up (with a queue to send it
    # on), and asked for by follow-ups, with their message IDs.
    defer_people: bool = False
    people_due: set[NormalizedName] = field(default_factory=set)
    people: dict[NormalizedName, set[str]] = field(default_factory=lambda: defaultdict(set))


def handle_event(
    event: Mapping[str, Any],
    store: Storage,
    project_set: ProjectSet | None = None,
    invalidator: Invalidator | None = None,
    *,
    deadline: Deadline = UNLIMITED,
    requeue: Requeue | None = None,
) -> dict[str, Any]:
    """Process a batch; return the SQS partial batch response (failed message IDs). The
    cyclic garbage collector waits until the batch is done (`gc_paused`)."""
    with gc_paused():
        return _handle(event, store, project_set, invalidator, deadline=deadline, requeue=requeue)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector (reference counting still frees all else). A big
    project's facts cache is tens of thousands of small objects; the collections that parsing
    it triggers walked every object in the process again and again: 15 % of an event's CPU at
    N = 5,000 (docs/requests.md)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _handle(
    event: Mapping[str, Any],
    store: Storage,
    project_set: ProjectSet | None,
    invalidator: Invalidator | None,
    *,
    deadline: Deadline,
    requeue: Requeue | None,
) -> dict[str, Any]:
    messages = messages_of(event)
    plan = Plan(defer_people=requeue is not None)
    edge = EdgeChanges(store, invalidator)
    for message in messages:
        _plan_message(store, message, plan)
    root_needed, summaries = _index_projects(store, plan, project_set, edge, deadline)
    _people_pages(store, plan)
    root_needed |= plan.retried
    if root_needed:
        _regenerate_root(store, plan, summaries)
    for message_id, request in plan.reindex:
        _perform(
            store,
            message_id,
            request,
            plan,
            project_set,
            edge=edge,
            deadline=deadline,
            requeue=requeue,
        )
    for message_id, release in plan.release:
        _release(store, message_id, release, plan, project_set)
    _hand_on(store, plan, requeue)
    _invalidate(edge, plan)
    failures = sorted(plan.failed)
    if failures and messages[0].message_id == PLAIN_S3_EVENT:
        raise BatchFailed("some records failed; see the log")
    return {"batchItemFailures": [{"itemIdentifier": m} for m in failures]}


def _index_projects(
    store: Storage,
    plan: Plan,
    project_set: ProjectSet | None,
    edge: EdgeChanges,
    deadline: Deadline,
) -> tuple[bool, dict[NormalizedName, str | None]]:
    """Index each planned project (or hand it on when time runs short): whether the root must
    be regenerated, and the summaries that changed."""
    root_needed = False
    summaries: dict[NormalizedName, str | None] = {}
    for project, message_ids in sorted(plan.projects.items()):
        if not deadline.start_project():
            _later(plan, project, plan.keys[project], plan.gone[project])
            if project in plan.people:  # asked for: handed on with the rest
                plan.people_due.add(project)
            continue
        try:
            result = _index_watched(store, project, plan, project_set, edge, deadline=deadline)
        except Unfinished as exc:
            root_needed |= exc.result.root_affected
            _later(plan, project, exc.keys, frozenset(), listing=exc.keys is None)
            if exc.result.people_due or project in plan.people:
                plan.people_due.add(project)
            continue
        except Exception:
            log.exception("%s: regeneration failed; its messages will be retried", project)
            plan.failed |= message_ids
            continue
        root_needed |= result.root_affected or result.summary_changed
        if result.people_due:
            plan.people_due.add(project)
        if result.summary_changed:
            summaries[project] = result.summary
        log.info("%s: %d files, changed=%s", project, result.files, result.changed)
    return root_needed, summaries


def _index_watched(
    store: Storage,
    project: NormalizedName,
    plan: Plan,
    project_set: ProjectSet | None,
    edge: EdgeChanges,
    *,
    deadline: Deadline,
) -> ProjectResult:
    """`_index`, noting the edge paths of the files it replaced or removed, as its cache writes
    saw them (even when indexing fails half-way: the cache may have been written, and a
    redelivery would not see the difference)."""
    edge.add(project, plan.gone[project])
    if project in plan.relist:  # the first delivery may have indexed, then failed
        edge.add(project, _filenames(plan.keys[project]))
    result = ProjectResult(project)
    try:
        return _index(store, project, plan, project_set, deadline=deadline, result=result)
    finally:
        edge.add(project, result.replaced)
        if result.cache_unreadable:  # what it held is unknown: everything of the project
            edge.add_everything(project)


def _later(
    plan: Plan,
    project: NormalizedName,
    keys: frozenset[str] | set[str] | None,
    gone: frozenset[str] | set[str],
    *,
    listing: bool = False,
) -> None:
    """Hand the project on: `keys` still to look at (None: all its event keys), by a listing if
    it was to be listed anyway."""
    listing |= project in plan.relist
    chosen = plan.keys[project] if keys is None or listing else keys
    plan.later[project] = ContinuedProject(project, frozenset(chosen), listing, frozenset(gone))
    log.warning(
        "%s: handed on (time ran short): %d key(s), listing=%s", project, len(chosen), listing
    )


def _people_pages(store: Storage, plan: Plan) -> None:
    """Write the pages for people that follow-ups ask for: conditionally, so a page the event
    path of this batch already brought up to date is not written again (one HEAD and a render);
    a project handed on takes the request with it."""
    for project, message_ids in sorted(plan.people.items()):
        if project in plan.people_due:
            continue
        if not _people_page_written(store, project):
            plan.failed |= message_ids


def _hand_on(store: Storage, plan: Plan, requeue: Requeue | None) -> None:
    """Send the continuation (with the pages for people left to a follow-up). If it cannot be
    sent, the pages for people are written here instead, and the messages of work not done
    fail (retried)."""
    for project in plan.people_due:
        left = plan.later.get(project) or ContinuedProject(project, frozenset())
        plan.later[project] = replace(left, people=True)
    if not plan.later:
        return
    if requeue is not None:
        try:
            for body in bodies(plan.later.values()):
                requeue(body)
            return
        except Exception:
            log.exception("could not hand work on; its messages will be retried")
    else:
        log.error("no queue to hand work on: %d project(s) will be retried", len(plan.later))
    for project, left in plan.later.items():
        if left.keys or left.listing or not _people_page_written(store, project):
            plan.failed |= plan.projects[project]


def _people_page_written(store: Storage, project: NormalizedName) -> bool:
    try:
        write_people_page(store, project)
    except Exception:
        log.exception("%s: page for people failed; its messages will be retried", project)
        return False
    return True


def _filenames(keys: set[str]) -> list[str]:
    return [
        info.dist.filename
        for info in map(layout.classify, keys)
        if isinstance(info, layout.DistributionKey)
    ]


def _invalidate(edge: EdgeChanges, plan: Plan) -> None:
    """One invalidation for the batch; if it fails, every project message is retried (and a
    redelivery invalidates all its event keys)."""
    try:
        edge.flush()
    except Exception:
        log.exception("edge invalidation failed; the batch's messages will be retried")
        for message_ids in plan.projects.values():
            plan.failed |= message_ids


def _index(
    store: Storage,
    project: NormalizedName,
    plan: Plan,
    project_set: ProjectSet | None,
    *,
    deadline: Deadline,
    result: ProjectResult,
) -> ProjectResult:
    if project not in plan.relist:
        try:
            return apply_events(
                store,
                project,
                plan.keys[project],
                project_set=project_set,
                deadline=deadline,
                result=result,
                defer_people=plan.defer_people and project not in plan.people,
            )
        except NeedsListing as exc:
            log.warning("%s; regenerating from a listing", exc)
            plan.relist.add(project)  # so that a continuation lists it too
    return regenerate_project(
        store, project, project_set=project_set, deadline=deadline, result=result
    )


def _regenerate_root(
    store: Storage, plan: Plan, summaries: dict[NormalizedName, str | None]
) -> None:
    try:
        if summaries:
            update_summaries(store, summaries)
        regenerate_root(store)
    except Exception:
        log.exception("root regeneration failed; the batch's messages will be retried")
        for message_ids in plan.projects.values():
            plan.failed |= message_ids


def _perform(
    store: Storage,
    message_id: str,
    request: ReindexRequest,
    plan: Plan,
    project_set: ProjectSet | None,
    *,
    edge: EdgeChanges,
    deadline: Deadline,
    requeue: Requeue | None,
) -> None:
    try:
        names = request.projects
        if edge.enabled and names is None:
            names = tuple(discover_projects(store))
        before = {name: edge.snapshot(name) for name in request.left(names or ())}
        try:
            done = perform_until(store, request, project_set, deadline)
        finally:
            for name, snapshot in before.items():
                edge.compare(name, snapshot)
        if isinstance(done, ReindexRequest):  # the rest, handed on
            if requeue is None:
                raise RuntimeError("no queue to hand the rest of the request on")
            requeue(done.dumps())
        elif unfinished := [p.name for p in done.projects if p.outcome in RETRIED_OUTCOMES]:
            # reported, and tried again: a page write may have failed after another landed
            log.warning("reindex %s: retried for %s", request.request_id, ", ".join(unfinished))
            plan.failed.add(message_id)
    except Exception:
        log.exception("reindex %s failed; its message will be retried", request.request_id)
        plan.failed.add(message_id)


def _release(
    store: Storage,
    message_id: str,
    request: ReleaseRequest,
    plan: Plan,
    project_set: ProjectSet | None,
) -> None:
    try:
        perform_release(store, request, project_set)
    except Exception:
        log.exception("release-name %s failed; its message will be retried", request.request_id)
        plan.failed.add(message_id)


def _plan_message(store: Storage, message: Message, plan: Plan) -> None:
    if message.problem:
        log.error("message %s ignored: %s", message.message_id, message.problem)
        return
    if message.reindex:
        plan.reindex.append((message.message_id, message.reindex))
        return
    if message.release:
        plan.release.append((message.message_id, message.release))
        return
    if message.continuation:
        _plan_continuation(message.message_id, message.continuation, plan)
        return
    redelivered = message.receive_count > 1
    plan.retried |= redelivered and bool(message.events)
    for event in message.events:
        try:
            target = _target_of(store, event)
        except Exception:
            log.exception("%s: could not be handled; message will be retried", event.key)
            plan.failed.add(message.message_id)
            continue
        if target:
            project, key = target
            plan.projects[project].add(message.message_id)
            plan.keys[project].add(key)
            if event.removed and key == event.key:
                plan.gone[project].update(_filenames({key}))
            if redelivered:
                plan.relist.add(project)


def _plan_continuation(message_id: str, continuation: Continuation, plan: Plan) -> None:
    for item in continuation.projects:
        if item.people:
            plan.people[item.name].add(message_id)
            if not item.keys and not item.listing:
                continue  # only the page for people
        plan.projects[item.name].add(message_id)
        plan.keys[item.name] |= item.keys
        plan.gone[item.name] |= item.gone
        if item.listing:
            plan.relist.add(item.name)


def _target_of(store: Storage, event: ObjectEvent) -> tuple[NormalizedName, str] | None:
    """The project an event affects and the key to look at (refiling a misplaced upload first:
    its filed key), or None to ignore."""
    if event.bucket != store.bucket:
        log.warning("%s: ignored: event from bucket %s", event.key, event.bucket)
        return None
    match layout.classify(event.key):
        case layout.DistributionKey(filed=False) if event.removed:
            log.info("%s: ignored: a misplaced file went (it was never listed)", event.key)
            return None
        case layout.DistributionKey(filed=False, dist=dist):
            refile(store, event.key, dist.project)
            return dist.project, layout.distribution_key(dist.project, dist.filename)
        case layout.DistributionKey() | layout.YankKey() as info:
            return info.project, event.key
        case layout.OtherKey(reason=reason):
            log.info("%s: ignored: %s", event.key, reason)
        case info:
            log.info("%s: ignored: %s object", event.key, info.kind)
    return None
