"""The bucket layout (pure): which key holds what. See docs/layout.md."""

from __future__ import annotations

import mimetypes
import posixpath
from dataclasses import dataclass
from typing import Literal

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from pyshelf.constants import METADATA_SUFFIX, YANK_SUFFIX, ZIP_SUFFIXES
from pyshelf.core.filenames import (
    Distribution,
    NotADistribution,
    parse_distribution,
)

PRIVATE_PREFIX = "_pyshelf/"
MANIFEST_PREFIX = PRIVATE_PREFIX + "projects/"
ROOT_HTML = "index.html"
ROOT_JSON = "index.json"
PAGE_NAMES = (ROOT_HTML, ROOT_JSON)

HTML_TYPE = "text/html; charset=utf-8"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
METADATA_TYPE = "text/plain; charset=utf-8"
MANIFEST_TYPE = "application/json"
YANK_TYPE = "text/plain; charset=utf-8"
ZIP_DISTRIBUTION_TYPE = "application/zip"  # .whl, .zip
DISTRIBUTION_TYPE = "application/octet-stream"  # tarballs: never Content-Encoding: gzip
PAGE_CACHE_CONTROL = "public, max-age=10"
IMMUTABLE_CACHE_CONTROL = "public, max-age=31536000, immutable"
PRIVATE_CACHE_CONTROL = "no-store"  # facts caches and yank records change in place

KeyKind = Literal["distribution", "yank", "metadata", "page", "manifest", "other"]


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """What a key is. `project` is set for distributions (from the filename) and yank records,
    metadata files and pages (from the folder)."""

    kind: KeyKind
    project: NormalizedName | None = None
    reason: str = ""
    dist: Distribution | None = None  # distributions: the parsed filename
    filed: bool = False  # distributions: directly in their project's folder
    version: Version | None = None  # yank records: the yanked release


def distribution_content_type(filename: str) -> str:
    """The Content-Type a distribution object is stored with (docs/layout.md)."""
    zipped = filename.lower().endswith(ZIP_SUFFIXES)
    return ZIP_DISTRIBUTION_TYPE if zipped else DISTRIBUTION_TYPE


def headers_of(key: str) -> tuple[str, str | None]:
    """(Content-Type, Cache-Control or None) an object is stored with: docs/layout.md's table."""
    info = classify(key)
    if info.kind == "page":
        return (JSON_TYPE if key.endswith(ROOT_JSON) else HTML_TYPE), PAGE_CACHE_CONTROL
    if info.kind == "metadata":
        return METADATA_TYPE, IMMUTABLE_CACHE_CONTROL
    if info.kind == "manifest":
        return MANIFEST_TYPE, PRIVATE_CACHE_CONTROL
    if info.kind == "distribution":
        return distribution_content_type(key), IMMUTABLE_CACHE_CONTROL
    if info.kind == "yank":
        return YANK_TYPE, PRIVATE_CACHE_CONTROL
    return mimetypes.guess_type(key)[0] or DISTRIBUTION_TYPE, None


def project_prefix(project: NormalizedName) -> str:
    return f"{project}/"


def distribution_key(project: NormalizedName, filename: str) -> str:
    return f"{project}/{filename}"


def metadata_key(distribution_key: str) -> str:
    return distribution_key + METADATA_SUFFIX


def page_keys(project: NormalizedName | None) -> tuple[str, str]:
    """(html, json) page keys of a project, or of the root for None."""
    folder = "" if project is None else project_prefix(project)
    return folder + ROOT_HTML, folder + ROOT_JSON


def manifest_key(project: NormalizedName) -> str:
    return f"{MANIFEST_PREFIX}{project}.json"


def project_of_manifest(key: str) -> NormalizedName | None:
    if not (key.startswith(MANIFEST_PREFIX) and key.endswith(".json")):
        return None
    name = key[len(MANIFEST_PREFIX) : -len(".json")]
    return _as_normalized(name)


def yank_key(project: NormalizedName, version: Version | str) -> str:
    """The yank record of a release, named by its canonical version."""
    return f"{project}/{Version(str(version))}{YANK_SUFFIX}"


def version_of_yank(key: str) -> Version | None:
    base = posixpath.basename(key)
    if not base.endswith(YANK_SUFFIX):
        return None
    try:
        return Version(base[: -len(YANK_SUFFIX)])
    except InvalidVersion:
        return None


def classify(key: str) -> KeyInfo:
    """Say what a bucket key is, with a reason for keys the indexer ignores."""
    if key.startswith(PRIVATE_PREFIX):
        project = project_of_manifest(key)
        return KeyInfo("manifest", project) if project else KeyInfo("other", reason="private")
    folder, base = posixpath.split(key)
    folder_project = _as_normalized(folder)
    if base.endswith(METADATA_SUFFIX):
        return KeyInfo("metadata", folder_project)
    if base in PAGE_NAMES and (folder == "" or folder_project):
        return KeyInfo("page", folder_project)
    if base.endswith(YANK_SUFFIX):
        return _classify_yank(key, folder_project)
    try:
        dist = parse_distribution(base)
    except NotADistribution as exc:
        return KeyInfo("other", reason=str(exc))
    return KeyInfo("distribution", dist.project, dist=dist, filed=folder == dist.project)


def _classify_yank(key: str, folder_project: NormalizedName | None) -> KeyInfo:
    version = version_of_yank(key)
    if folder_project and version:
        return KeyInfo("yank", folder_project, version=version)
    return KeyInfo("other", reason=f"{key}: yank records live at <project>/<version>.yank")


def is_filed(key: str) -> bool:
    """True when a distribution key sits in its project's folder under its own filename."""
    return classify(key).filed


def _as_normalized(folder: str) -> NormalizedName | None:
    """The folder as a project name, if it is exactly a normalized name."""
    if not folder or "/" in folder:
        return None
    try:
        name = canonicalize_name(folder, validate=True)
    except ValueError:
        return None
    return name if name == folder else None
