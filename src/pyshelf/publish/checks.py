"""Check local distribution files before upload (no network): the filename parses (as the indexer
parses it: a valid ASCII project name) and its key and `.metadata` key fit in S3, the archive
is readable (`pyshelf.core.inspection`, with the indexer's limits, and every zip member's CRC as
far as they allow), and the metadata inside names the same project and version as the filename.

A file the indexer would not list is refused; one it would list without metadata (a limit was
reached) is accepted with a note, logged as a warning."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from packaging.metadata import parse_email
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from pyshelf.core import layout
from pyshelf.core.errors import Exit, PyshelfError
from pyshelf.core.filenames import Distribution, NotADistribution, parse_distribution
from pyshelf.core.inspection import LIMITS, HashingWriter, Inspection, Limits, Verdict, inspect

log = logging.getLogger(__name__)
CHUNK = 1024 * 1024


class InvalidDistribution(PyshelfError, ValueError):
    """The file cannot be uploaded; the message says why (one line)."""

    exit_code = Exit.INVALID


@dataclass(frozen=True, slots=True)
class LocalDistribution:
    """A checked local file, with its sha256 and size."""

    path: Path
    dist: Distribution
    sha256: str
    size: int
    notes: tuple[str, ...] = field(default=(), compare=False)  # accepted, but not fully read

    @property
    def filename(self) -> str:
        return self.dist.filename

    @property
    def project(self) -> NormalizedName:
        return self.dist.project

    @property
    def key(self) -> str:
        return layout.distribution_key(self.dist.project, self.dist.filename)


def check_all(paths: Iterable[Path]) -> tuple[list[LocalDistribution], list[str]]:
    """Check every file; return the good ones and one line per problem (duplicates included)."""
    good: list[LocalDistribution] = []
    problems: list[str] = []
    seen: dict[str, Path] = {}
    for path in paths:
        try:
            local = check(path)
        except InvalidDistribution as exc:
            problems.append(f"{path}: {exc}")
            continue
        if local.key in seen:
            problems.append(f"{path}: same filename as {seen[local.key]}")
            continue
        seen[local.key] = path
        good.append(local)
    return good, problems


def check(path: Path, limits: Limits = LIMITS) -> LocalDistribution:
    if not path.is_file():
        raise InvalidDistribution("not a file")
    with path.open("rb") as handle:
        checked = check_stream(path.name, handle, limits)
    for note in checked.notes:
        log.warning("%s: %s", path, note)
    return LocalDistribution(path, checked.dist, checked.sha256, checked.size, checked.notes)


@dataclass(frozen=True, slots=True)
class Checked:
    """A distribution that passed the checks (from a file or an upload form)."""

    dist: Distribution
    sha256: str
    size: int
    notes: tuple[str, ...] = ()  # accepted, but not fully read


def check_stream(filename: str, handle: IO[bytes], limits: Limits = LIMITS) -> Checked:
    """Check a distribution named `filename` whose bytes `handle` (seekable) holds."""
    try:
        dist = parse_distribution(filename)
    except NotADistribution as exc:
        raise InvalidDistribution(str(exc).removeprefix(f"{filename}: ")) from None
    key = layout.distribution_key(dist.project, dist.filename)
    if reason := layout.too_long(key, dist):
        raise InvalidDistribution(reason.removeprefix(f"{key}: "))
    sha256, size = _hash(handle)
    found = inspect(dist, handle, sha256, size, limits=limits, verify=True)
    return Checked(dist, sha256, size, _notes(dist, found))


def _hash(handle: IO[bytes]) -> tuple[str, int]:
    digest = HashingWriter()
    shutil.copyfileobj(handle, digest, CHUNK)
    return digest.sha256, digest.size


def _notes(dist: Distribution, found: Inspection) -> tuple[str, ...]:
    """Refuse what the indexer would not list, or lists with other metadata; note the rest."""
    if found.verdict is Verdict.REJECTED:
        reason = str(found.problem).removeprefix("unreadable archive: ")
        raise InvalidDistribution(f"unreadable {dist.kind}: {reason}")
    if found.verdict is Verdict.LIMITED:
        return (f"the index will list it without metadata: {found.problem}",)
    if found.core_metadata is not None:
        _check_metadata(dist, found.core_metadata)
    elif dist.kind == "wheel":
        raise InvalidDistribution(str(found.problem))
    if found.unverified:
        return (f"not every member was read to check it: {found.unverified}",)
    return ()


def _check_metadata(dist: Distribution, metadata: bytes) -> None:
    raw, _unparsed = parse_email(metadata)
    what = "METADATA" if dist.kind == "wheel" else "PKG-INFO"
    name, version = raw.get("name"), raw.get("version")
    if not name or not version:
        raise InvalidDistribution(f"{what} lacks Name or Version")
    if canonicalize_name(name) != dist.project:
        raise InvalidDistribution(f"{what} names project {name!r}, the filename {dist.project!r}")
    try:
        same = Version(version) == dist.version
    except InvalidVersion:
        raise InvalidDistribution(f"{what} has an invalid Version {version!r}") from None
    if not same:
        raise InvalidDistribution(f"{what} has version {version}, the filename {dist.version}")
