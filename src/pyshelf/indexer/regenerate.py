"""Regenerate a project from a listing of its folder, race-free (see docs/race-freedom.md): the
path of `pyshelf reindex`, reconcile requests and SQS redeliveries (events take
`pyshelf.indexer.hotpath`, which lists nothing).

Each regeneration reads the pages (HEAD) and the facts cache (GET), lists the project's folder,
learns facts only for files it has not seen, writes the cache if it changed (If-Match on what it
read, If-None-Match when absent) and, if it wrote anything, lists again: if the inputs changed in
between, or a conditional write lost a race, it starts over. Then the pages follow the cache
(`pyshelf.indexer.follow`).

With a private set (`project_set`, docs/fallthrough.md) a project joins it before its first page
is written, and one that loses its last file leaves a tombstone and stays reserved.

With a `Deadline`, files are read only while time allows: what was learned is checkpointed (the
cache written conditionally, the pages made to follow it, no second listing: the continuation is
that look again) and `Unfinished` tells the caller to hand the project on (docs/race-freedom.md,
"Continuations").
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from packaging.utils import NormalizedName

from pyshelf.core import human, layout, render
from pyshelf.core.errors import PyshelfError
from pyshelf.core.facts_cache import FactsCache
from pyshelf.core.private_names import LIVE, RESERVED, State
from pyshelf.indexer.deadline import UNLIMITED, Deadline
from pyshelf.indexer.derived import Derived, write_all
from pyshelf.indexer.file_facts import (
    Learned,
    gather_facts,
    remember_rejections,
    remembered_rejections,
)
from pyshelf.indexer.follow import CacheVersion, follow, read_pages
from pyshelf.indexer.private_set import (
    follow_cache,
    live_projects,
    rebuild_set,
    write_tombstone,
)
from pyshelf.indexer.project_set import Contended, ProjectSet
from pyshelf.indexer.refile import refile
from pyshelf.indexer.summaries import read_summaries, update_summaries
from pyshelf.storage import Blob, NotFound, PreconditionFailed, Storage
from pyshelf.storage.folder import ProjectFolder

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


class StillChanging(PyshelfError, RuntimeError):
    """The inputs kept changing under every attempt; the caller should retry later."""


@dataclass(slots=True)
class ProjectResult:
    project: NormalizedName
    files: int = 0
    changed: bool = False  # some page or cache object was written or deleted
    # The facts cache was created or deleted (by any attempt, even one that started over),
    # so the project set may have changed and the root must be regenerated.
    root_affected: bool = False
    joined: bool = False  # some attempt added the project to the private set
    # The event path wrote the cache and left the page for people to a follow-up message.
    people_due: bool = False
    # The facts cache could not be read: which files it described (and so which changed) is
    # not known.
    cache_unreadable: bool = False
    # Files a cache write of any attempt replaced or removed (their edge paths are stale).
    replaced: set[str] = field(default_factory=set)
    state: State | None = None  # the state this invocation last wrote to the private set
    # The summary of the project's latest release changed (None: the project has no files):
    # the human root shows it (`pyshelf.indexer.summaries`).
    summary: str | None = None
    summary_changed: bool = False

    def note_summary(self, before: str | None, after: str | None) -> None:
        self.summary = after
        self.summary_changed |= before != after


class Unfinished(PyshelfError):
    """Time ran short in the middle of a project: what was learned is in its facts cache and
    pages; `keys` are the event keys left (None: the rest of the folder, by a listing)."""

    def __init__(self, result: ProjectResult, keys: frozenset[str] | None = None) -> None:
        left = "the rest of its folder" if keys is None else f"{len(keys)} key(s)"
        super().__init__(f"{result.project}: time ran short; {left} handed on")
        self.result = result
        self.keys = keys


def regenerate_project(
    store: Storage,
    project: NormalizedName,
    *,
    check_bytes: bool = False,
    project_set: ProjectSet | None = None,
    deadline: Deadline = UNLIMITED,
    result: ProjectResult | None = None,
) -> ProjectResult:
    """Make the project's pages, `.metadata` files and facts cache match its folder (noting
    in `result`, if given, what it did even when it fails half-way).

    `check_bytes` (reindex) compares the pages' stored bytes with what they should be, instead
    of trusting their `x-amz-meta-sha256`, which any writer can set: a forged page is repaired.
    `Contended` (the private set kept changing) is left to the caller, like any store error;
    `Unfinished` when the deadline stopped the reads (the rest is to be handed on)."""
    result = result or ProjectResult(project)
    learned: Learned = {}
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            _project_attempt(store, result, check_bytes, project_set, _Reads(deadline, learned))
            return result
        except (PreconditionFailed, NotFound, _InputsChanged) as exc:
            log.info("project %s changed during attempt %d (%s); retrying", project, attempt, exc)
    raise StillChanging(f"{project}: still changing after {MAX_ATTEMPTS} attempts")


def regenerate_root(store: Storage, *, check_bytes: bool = False) -> bool:
    """Make the root pages list exactly the projects that have a facts cache; True if written."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            return _root_attempt(store, check_bytes)
        except (PreconditionFailed, _InputsChanged) as exc:
            log.info("root changed during attempt %d (%s); retrying", attempt, exc)
    raise StillChanging(f"root: still changing after {MAX_ATTEMPTS} attempts")


def reindex(
    store: Storage,
    projects: Iterable[NormalizedName] | None = None,
    *,
    project_set: ProjectSet | None = None,
) -> list[ProjectResult]:
    """Rebuild the given projects (all of `discover_projects` when None), then the root, then
    the private set if there is one (all of it when `projects` is None, else their keys).

    A project that fails (it kept changing under every attempt, or any other error) does not stop
    the others or the root; they are named at the end by `ReindexIncomplete`, which also carries
    the results of the rest."""
    chosen = sorted(set(projects)) if projects is not None else discover_projects(store)
    results: list[ProjectResult] = []
    failed: dict[NormalizedName, str] = {}
    for project in chosen:
        try:
            results.append(
                regenerate_project(store, project, check_bytes=True, project_set=project_set)
            )
        except Exception as exc:  # one project's failure is reported, not fatal
            failed[project] = failure_reason(project, exc)
    summaries = {result.project: result.summary for result in results}
    update_summaries(store, summaries, replace=projects is None and not failed)
    regenerate_root(store, check_bytes=True)
    if project_set is not None:
        rebuild_private_set(store, project_set, None if projects is None else chosen)
    if failed:
        raise ReindexIncomplete(results, failed)
    return results


def failure_reason(project: NormalizedName, exc: Exception) -> str:
    """A short reason for a project that could not be rebuilt, logged with its traceback."""
    if isinstance(exc, StillChanging | Contended):
        reason = f"still changing after {MAX_ATTEMPTS} attempts"
        log.warning("%s: %s", project, reason)
        return reason
    log.exception("%s: not rebuilt", project)
    return f"{type(exc).__name__}: {exc}"[:300]


def rebuild_private_set(
    store: Storage, project_set: ProjectSet, names: Sequence[NormalizedName] | None
) -> None:
    """`rebuild_set`, with a set that keeps changing reported as `StillChanging`."""
    try:
        rebuild_set(store, project_set, names)
    except Contended as exc:
        raise StillChanging(f"private set: {exc}") from None


class ReindexIncomplete(StillChanging):
    """Some projects were not rebuilt: `failed` names them, `reasons` says why."""

    def __init__(self, results: list[ProjectResult], reasons: dict[NormalizedName, str]) -> None:
        super().__init__("; ".join(f"{name}: {why}" for name, why in reasons.items()))
        self.results = results
        self.failed = list(reasons)
        self.reasons = reasons


def discover_projects(store: Storage) -> list[NormalizedName]:
    """Every project with a facts cache, pages, a yank record or a distribution anywhere in the
    bucket; a misplaced distribution is moved to its project's folder on the way, as the
    Lambda does when it hears of one. Any other public key is logged with why it is ignored."""
    found: set[NormalizedName] = set()
    for item in store.list(""):
        match layout.classify(item.key):
            case layout.DistributionKey(filed=False, dist=dist):
                _refile_logged(store, item.key, dist.project)
                found.add(dist.project)
            case layout.DistributionKey() | layout.YankKey() | layout.FactsCacheKey() as info:
                found.add(info.project)
            case layout.PageKey(project=project) if project:
                found.add(project)
            case layout.OtherKey(reason=reason) if not item.key.startswith(layout.PRIVATE_PREFIX):
                log.info("%s: ignored: %s", item.key, reason)
    return sorted(found)


def _refile_logged(store: Storage, key: str, project: NormalizedName) -> None:
    """Refile, or log why not: one misplaced file must not stop the discovery of the rest."""
    try:
        refile(store, key, project)
    except Exception:  # logged with its traceback; the file stays where it is
        log.exception("%s: not moved to %s/", key, project)


class _InputsChanged(PyshelfError):
    pass


@dataclass(frozen=True, slots=True)
class _Reads:
    deadline: Deadline
    learned: Learned  # across attempts: a file learned once is not read again


def _project_attempt(
    store: Storage,
    result: ProjectResult,
    check_bytes: bool,
    project_set: ProjectSet | None,
    reads: _Reads,
) -> None:
    project = result.project
    pages = read_pages(store, project, check_bytes)
    cached = store.get(layout.facts_cache_key(project))
    had_files = bool(cached and cached.body)  # an unreadable cache was written with files
    parsed = FactsCache.parse(cached.body) if cached else FactsCache()
    result.cache_unreadable |= parsed is None
    facts_cache = parsed or FactsCache()
    folder = ProjectFolder.take(store, project)
    known = remembered_rejections(store, project) if facts_cache.empty and folder.dists else {}
    for name, entry in known.items():
        facts_cache.files.setdefault(name, entry)
    keep_private(store, project_set, result, had_files, bool(folder.dists))
    gathered = gather_facts(
        store, folder, facts_cache, deadline=reads.deadline, learned=reads.learned
    )
    new = gathered.facts_cache
    if new.empty:
        remember_rejections(store, project, new, known)
    new.refresh()
    wrote = gathered.wrote_metadata
    wrote |= _delete_stale_metadata(store, folder, gathered.metadata_keys)
    body = new.dumps()
    etag = cached.etag if cached else None
    if body != (cached.body if cached else b""):
        etag = write_cache(store, project, body, cached)
        result.replaced |= new.replaced_since(facts_cache)
        wrote = True
        result.root_affected |= had_files != (not new.empty)
    result.note_summary(facts_cache.summary if had_files else None, new.summary)
    if wrote and gathered.complete:  # only a writer has to look again (docs/race-freedom.md)
        _verify(store, project, folder)
    wrote |= follow(store, project, CacheVersion(etag, new), pages, check_bytes=check_bytes)
    private_state_follows(store, project_set, result)
    result.changed |= wrote
    result.files = new.listed
    if not gathered.complete:  # a checkpoint: the continuation lists the folder again
        log.warning("%s: %d file(s) left unread for a continuation", project, len(gathered.unread))
        raise Unfinished(result)


def write_cache(store: Storage, project: NormalizedName, body: bytes, read: Blob | None) -> str:
    """Replace the version `read` (create when None) with `body`; its ETag. Never deleted: a
    project without files has a zero-byte cache (a delete could not be conditional)."""
    return store.put(
        layout.facts_cache_key(project),
        body,
        content_type=layout.FACTS_CACHE_TYPE,
        cache_control=layout.PRIVATE_CACHE_CONTROL,
        if_match=read.etag if read else None,
        if_none_match=read is None,
    )


def keep_private(
    store: Storage,
    project_set: ProjectSet | None,
    result: ProjectResult,
    had_cache: bool,
    has_files: bool,
) -> None:
    """Before anything is written: a project without a non-empty facts cache (so not in the
    root) that has files joins the set; a project whose cache is about to lose its last file
    leaves a tombstone and stays reserved. A project with a non-empty facts cache is in the set
    already (it joined before that cache was written): no store request then. So does a project
    this regeneration added and then found without files (its first look was stale, it may have
    overwritten a retirement made meanwhile)."""
    project = result.project
    if has_files and not had_cache:
        if project_set is not None:
            project_set.ensure(project)
            result.joined = True
            result.state = LIVE
    elif not has_files and (
        had_cache or result.joined or _joined_unseen(store, project_set, project)
    ):
        write_tombstone(store, project)
        if project_set is not None:
            project_set.retire(project)
            result.state = RESERVED


def private_state_follows(
    store: Storage, project_set: ProjectSet | None, result: ProjectResult
) -> None:
    """At the end of an attempt, if this invocation joined or retired the project: its state in
    the set follows the facts cache as it is now (`private_set.follow_cache`)."""
    if project_set is not None and result.state is not None:
        follow_cache(store, project_set, result.project, result.state)


def _joined_unseen(store: Storage, project_set: ProjectSet | None, project: NormalizedName) -> bool:
    """The project has neither files nor a facts cache nor a tombstone, yet the set holds it:
    it joined, and its files went before its facts cache was written (or an invocation died
    between). Its pages may have been seen: it is reserved like any other."""
    if project_set is None or store.head(layout.tombstone_key(project)) is not None:
        return False
    return project_set.holds(project)


def _delete_stale_metadata(store: Storage, folder: ProjectFolder, wanted: set[str]) -> bool:
    stale = [key for key in folder.metadata if key not in wanted]
    for key in stale:
        store.delete(key)
    return bool(stale)


def _verify(store: Storage, project: NormalizedName, folder: ProjectFolder) -> None:
    again = ProjectFolder.take(store, project)
    if again.inputs != folder.inputs:
        raise _InputsChanged("the folder changed while its pages were written")


def _root_names(store: Storage) -> Sequence[NormalizedName]:
    return sorted(live_projects(store))


def _root_attempt(store: Storage, check_bytes: bool) -> bool:
    """The API root pages, the human root (with the summaries) and the human pages' shared
    files (the 404 page, the style sheet, the script)."""
    names = _root_names(store)
    bodies = {
        layout.ROOT_HTML: render.root_html(names),
        layout.ROOT_JSON: render.root_json(names),
        layout.HUMAN_ROOT: human.root_page(read_summaries(store), names),
        layout.NOT_FOUND_PAGE: human.not_found_page(),
        **human.static_files(),
    }
    pages = [Derived.read(store, key, check_bytes) for key in bodies]
    for page in pages:
        page.body = bodies[page.key]
    changed = write_all(store, pages)
    if changed and _root_names(store) != names:
        raise _InputsChanged("the project set changed while the root was written")
    return changed
