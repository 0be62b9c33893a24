"""The private set as the bucket says it should be (docs/fallthrough.md): a project with a
facts cache or files is `live`, one with a tombstone (its files were all deleted) `reserved`,
any other name is not private. Tombstones, rebuilding the set, and releasing a name.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable

from packaging.utils import NormalizedName

from pyshelf.core import layout
from pyshelf.core.private_names import LIVE, RESERVED, State
from pyshelf.core.release_request import Outcome
from pyshelf.indexer.project_set import Contended, NameInUse, ProjectSet
from pyshelf.storage import Storage
from pyshelf.storage.folder import ProjectFolder

log = logging.getLogger(__name__)
ROUNDS = 8
TOMBSTONE_BODY = (
    b"The last file of this project was deleted; its name stays private (never served from\n"
    b"PyPI) until `pyshelf release-name` frees it.\n"
)


def write_tombstone(store: Storage, project: NormalizedName) -> None:
    content_type, cache_control = layout.headers_of(layout.tombstone_key(project))
    store.put(
        layout.tombstone_key(project),
        TOMBSTONE_BODY,
        content_type=content_type,
        cache_control=cache_control,
    )


def has_files(store: Storage, project: NormalizedName) -> bool:
    """A non-empty facts cache (pages are up), or a distribution in the project's folder."""
    key = layout.facts_cache_key(project)
    if any(row.key == key and row.size for row in store.list(key)):
        return True
    return bool(ProjectFolder.take(store, project).dists)


def live_projects(store: Storage) -> set[NormalizedName]:
    """The projects with files, as the caches say: every non-empty facts cache (a project whose
    files all went keeps a zero-byte one)."""
    return {
        name
        for item in store.list(layout.FACTS_CACHE_PREFIX)
        if item.size and (name := layout.project_of_facts_cache(item.key))
    }


def rebuild_set(
    store: Storage, project_set: ProjectSet, names: Collection[NormalizedName] | None = None
) -> int:
    """Make the set match the bucket: every name (`names` None) or only `names`; the number
    of keys changed. Read after the set's ETag, so a name the indexer adds meanwhile either
    fails this write (and it is planned again) or has its files in the bucket already."""
    wanted = _everything(store) if names is None else _each(store)
    changed = project_set.rebuild(wanted, names)
    log.info("private set: %d key(s) changed", changed)
    return changed


def _each(store: Storage) -> Callable[[Collection[NormalizedName]], dict[NormalizedName, State]]:
    def wanted(candidates: Collection[NormalizedName]) -> dict[NormalizedName, State]:
        return {name: state for name in candidates if (state := _state_of(store, name))}

    return wanted


def _state_of(store: Storage, project: NormalizedName) -> State | None:
    if has_files(store, project):
        return LIVE
    if store.head(layout.tombstone_key(project)) is not None:
        return RESERVED
    return None


def _everything(
    store: Storage,
) -> Callable[[Collection[NormalizedName]], dict[NormalizedName, State]]:
    """One listing of the facts caches and one of the tombstones; a folder listing only for
    names the store holds without either (normally none: a project being indexed right now)."""

    def wanted(candidates: Collection[NormalizedName]) -> dict[NormalizedName, State]:
        live = live_projects(store)
        states: dict[NormalizedName, State] = dict.fromkeys(
            _listed(store, layout.TOMBSTONE_PREFIX, layout.project_of_tombstone), RESERVED
        )
        unexplained = set(candidates) - live
        live |= {name for name in unexplained if ProjectFolder.take(store, name).dists}
        states.update(dict.fromkeys(live, LIVE))
        return states

    return wanted


def _listed(
    store: Storage, prefix: str, name_of: Callable[[str], NormalizedName | None]
) -> Iterable[NormalizedName]:
    for item in store.list(prefix):
        if name := name_of(item.key):
            yield name


def release_name(
    store: Storage, project_set: ProjectSet | None, project: NormalizedName
) -> Outcome:
    """Free a name with no files: delete its tombstone, then its key (if the set is kept)."""

    def check() -> None:
        if has_files(store, project):
            raise NameInUse(f"{project} has files")
        if store.head(layout.tombstone_key(project)) is not None:
            raise NameInUse(f"{project}: a file came and went during the release")

    try:
        if has_files(store, project):
            return "has-files"
        buried = _delete_tombstone(store, project)
        removed = project_set.release(project, check=check) if project_set else False
    except NameInUse as exc:
        log.info("release of %s refused: %s", project, exc)
        return "has-files"
    except Contended:
        return "still-changing"
    return "released" if buried or removed else "not-reserved"


def _delete_tombstone(store: Storage, project: NormalizedName) -> bool:
    key = layout.tombstone_key(project)
    if store.head(key) is None:
        return False
    store.delete(key)
    return True


def follow_cache(
    store: Storage, project_set: ProjectSet, project: NormalizedName, written: State
) -> None:
    """After this invocation wrote the project's state in the set (`written`: it joined or
    retired it), look at the facts cache: if its state is not the one the cache calls for now
    (`live` with listed files, else `reserved`), write that one and look again, as pages follow
    the cache (docs/race-freedom.md). A writer that saw a stale cache and retired a project that
    another had just made live (or the other way round) thus puts it right: every write to the
    set is followed by a look at the cache by its writer. `Contended` after `ROUNDS` changes."""
    key = layout.facts_cache_key(project)
    for _ in range(ROUNDS):
        head = store.head(key)
        wanted = LIVE if head is not None and head.size else RESERVED
        if wanted == written:
            return
        log.info("%s: the facts cache changed; the private set follows it (%s)", project, wanted)
        if wanted == RESERVED:
            write_tombstone(store, project)
            project_set.retire(project)
        else:
            project_set.ensure(project)
        written = wanted
    raise Contended(f"{project}: the facts cache kept changing while the set followed it")
