"""The private set in the KeyValueStore, as the indexer (its only writer) changes it: one key
per private project name (`pyshelf.core.private_names`), read by the edge.

Every change reads the store's ETag, then the keys it depends on, and writes only what differs
with If-Match on that ETag (`pyshelf.access.optimistic`): up to five indexer invocations write
at once, and a change that lost the race is planned again from what is there then (at most
`ATTEMPTS` times, then `Contended`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from packaging.utils import NormalizedName

from pyshelf.access.optimistic import Writes, write_planned
from pyshelf.access.store import KeyValueStore
from pyshelf.core.errors import PyshelfError
from pyshelf.core.private_names import (
    LIVE,
    PROJECT_KEY_PREFIX,
    RESERVED,
    State,
    project_key,
    project_of_key,
)

# More than the CLI's token changes: an indexer that gives up fails its message, which SQS
# delivers again only after the visibility timeout. At most ~4.5 s of pauses in all.
ATTEMPTS = 8

Wanted = Callable[[Collection[NormalizedName]], Mapping[NormalizedName, State]]
"""Given candidates (the names the store holds now, and those asked about), the state of every
name that should be private."""


class Contended(PyshelfError, RuntimeError):
    """Every attempt to change the private set lost the race against another writer."""


class NameInUse(PyshelfError, RuntimeError):
    """A name cannot be released: the project has files."""


@dataclass(slots=True)
class ProjectSet:
    store: KeyValueStore
    attempts: int = ATTEMPTS
    sleep: Callable[[float], None] = time.sleep

    def ensure(self, name: NormalizedName) -> bool:
        """Make the name `live` (it was absent or `reserved`); True if written."""
        return self._set(name, LIVE)

    def retire(self, name: NormalizedName) -> bool:
        """Make the name `reserved` (its files are gone, the name stays private)."""
        return self._set(name, RESERVED)

    def release(self, name: NormalizedName, *, check: Callable[[], None]) -> bool:
        """Remove the name, after `check` (run after every ETag read, so that nothing it looked
        at can change unseen before the write) raised no `NameInUse`; True if it was there."""
        return self._set(name, None, check=check)

    def holds(self, name: NormalizedName) -> bool:
        return self.store.get(project_key(name)) is not None

    def snapshot(self) -> dict[NormalizedName, str]:
        """Every private name and its value."""
        items = self.store.list(PROJECT_KEY_PREFIX).items()
        return {name: value for key, value in items if (name := project_of_key(key))}

    def rebuild(self, wanted: Wanted, names: Collection[NormalizedName] | None = None) -> int:
        """Make the set exactly `wanted`: every name the store holds now (`names` None) or
        only `names`. Keys for names not wanted are removed, malformed project keys too.
        Returns how many keys were changed."""

        def plan() -> Writes:
            asked = None if names is None else set(names)
            current = self.store.list(PROJECT_KEY_PREFIX) if asked is None else self._values(asked)
            held = {name for key in current if (name := project_of_key(key))}
            states = wanted(held | (asked or set())).items()
            chosen = {n: state for n, state in states if asked is None or n in asked}
            return _diff(current, {project_key(n): state for n, state in chosen.items()})

        written = self._write(plan)
        return len(written.puts) + len(written.deletes)

    def _set(
        self, name: NormalizedName, value: State | None, *, check: Callable[[], None] | None = None
    ) -> bool:
        key = project_key(name)

        def plan() -> Writes:
            if check is not None:
                check()
            return _diff(self._values([name]), {key: value} if value else {})

        return bool(self._write(plan))

    def _values(self, names: Collection[NormalizedName]) -> dict[str, str]:
        keys = (project_key(name) for name in names)
        return {key: value for key in keys if (value := self.store.get(key)) is not None}

    def _write(self, plan: Callable[[], Writes]) -> Writes:
        written = write_planned(self.store, plan, attempts=self.attempts, sleep=self.sleep)
        if written is None:
            raise Contended(f"the private set kept changing during {self.attempts} attempts")
        return written


def _diff(current: Mapping[str, str], desired: Mapping[str, str]) -> Writes:
    """The writes that turn `current` into `desired` (keys in `current` only are deleted)."""
    puts = {key: value for key, value in desired.items() if current.get(key) != value}
    deletes = tuple(key for key in current if key not in desired)
    return Writes(puts, deletes)
