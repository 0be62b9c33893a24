"""The bucket layout (pure): which key holds what. See docs/layout.md."""

from __future__ import annotations

import mimetypes
import posixpath
from dataclasses import dataclass
from typing import ClassVar

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from pyshelf.constants import (
    EVENT_SUFFIXES,
    IMMUTABLE_MAX_AGE_SECONDS,
    METADATA_SUFFIX,
    PAGE_MAX_AGE_SECONDS,
    YANK_SUFFIX,
    ZIP_SUFFIXES,
)
from pyshelf.core.filenames import (
    Distribution,
    NotADistribution,
    parse_distribution,
)

PRIVATE_PREFIX = "_pyshelf/"
# Human pages (docs/pages.md): `-/` is never a project folder ("-" is no valid name).
HUMAN_PREFIX = "-/"
HUMAN_ROOT = HUMAN_PREFIX + "index.html"
NOT_FOUND_PAGE = HUMAN_PREFIX + "404.html"
STYLE_SHEET = HUMAN_PREFIX + "pyshelf.css"
SCRIPT = HUMAN_PREFIX + "pyshelf.js"
HUMAN_PROJECTS = HUMAN_PREFIX + "project/"
# The project summaries the human root shows: `{project: summary}` JSON, private.
SUMMARIES_KEY = PRIVATE_PREFIX + "summaries.json"
FACTS_CACHE_PREFIX = PRIVATE_PREFIX + "projects/"
TOMBSTONE_PREFIX = PRIVATE_PREFIX + "tombstones/"
# The rejected files of a project without listed files (its facts cache is zero bytes), so that
# a listing does not read them again: a memo, each entry valid only for its ETag and size.
REJECTED_PREFIX = PRIVATE_PREFIX + "rejected/"
ROOT_HTML = "index.html"
ROOT_JSON = "index.json"
PAGE_NAMES = (ROOT_HTML, ROOT_JSON)
# A JSON page's gzip variant: the same page, stored compressed (`Content-Encoding: gzip`) for
# the CDN to serve to clients that accept gzip (CloudFront does not compress this media type).
GZIP_SUFFIX = ".gz"
GZIP_PAGE = ROOT_JSON + GZIP_SUFFIX
GZIP_ENCODING = "gzip"
MAX_KEY_BYTES = 1024  # S3's limit on a key's length, in UTF-8 bytes

HTML_TYPE = "text/html; charset=utf-8"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
METADATA_TYPE = "text/plain; charset=utf-8"
FACTS_CACHE_TYPE = "application/gzip"  # gzip-compressed JSON (pyshelf.core.facts_cache)
YANK_TYPE = TOMBSTONE_TYPE = "text/plain; charset=utf-8"
ZIP_DISTRIBUTION_TYPE = "application/zip"  # .whl, .zip
DISTRIBUTION_TYPE = "application/octet-stream"  # tarballs: never Content-Encoding: gzip
PAGE_CACHE_CONTROL = f"public, max-age={PAGE_MAX_AGE_SECONDS}"
IMMUTABLE_CACHE_CONTROL = f"public, max-age={IMMUTABLE_MAX_AGE_SECONDS}, immutable"
PRIVATE_CACHE_CONTROL = "no-store"  # facts caches, yank records, tombstones change in place


@dataclass(frozen=True, slots=True)
class DistributionKey:
    """A distribution; `filed` when it sits directly in its project's folder."""

    dist: Distribution
    filed: bool
    kind: ClassVar[str] = "distribution"

    @property
    def project(self) -> NormalizedName:
        return self.dist.project


@dataclass(frozen=True, slots=True)
class YankKey:
    """The yank record of release `version` of `project`."""

    project: NormalizedName
    version: Version
    kind: ClassVar[str] = "yank"


@dataclass(frozen=True, slots=True)
class MetadataKey:
    """A `.metadata` file; `project` is its folder's, when that is a normalized name."""

    project: NormalizedName | None
    kind: ClassVar[str] = "metadata"


@dataclass(frozen=True, slots=True)
class PageKey:
    """A project page, or the root page (`project` None)."""

    project: NormalizedName | None
    kind: ClassVar[str] = "page"


@dataclass(frozen=True, slots=True)
class PageVariantKey:
    """The gzip variant of a JSON page (`index.json.gz`): of a project, or of the root (None)."""

    project: NormalizedName | None
    kind: ClassVar[str] = "page-variant"


@dataclass(frozen=True, slots=True)
class FactsCacheKey:
    project: NormalizedName
    kind: ClassVar[str] = "facts-cache"


@dataclass(frozen=True, slots=True)
class TombstoneKey:
    """The project's files were all deleted: its name stays private (docs/fallthrough.md)."""

    project: NormalizedName
    kind: ClassVar[str] = "tombstone"


@dataclass(frozen=True, slots=True)
class HumanKey:
    """A human page, a release description, or a file beside them (docs/pages.md)."""

    kind: ClassVar[str] = "human"


@dataclass(frozen=True, slots=True)
class OtherKey:
    """Anything the indexer ignores, and why."""

    reason: str
    kind: ClassVar[str] = "other"


KeyInfo = (
    DistributionKey
    | YankKey
    | MetadataKey
    | PageKey
    | PageVariantKey
    | FactsCacheKey
    | TombstoneKey
    | HumanKey
    | OtherKey
)
"""What a key is: one of the kinds of docs/layout.md's table."""


def distribution_content_type(filename: str) -> str:
    """The Content-Type a distribution object is stored with (docs/layout.md)."""
    zipped = filename.lower().endswith(ZIP_SUFFIXES)
    return ZIP_DISTRIBUTION_TYPE if zipped else DISTRIBUTION_TYPE


def headers_of(key: str) -> tuple[str, str | None]:
    """(Content-Type, Cache-Control or None) an object is stored with: docs/layout.md's table."""
    match classify(key):
        case PageKey() | PageVariantKey():  # a variant has its page's type (and coding)
            return (HTML_TYPE if key.endswith(ROOT_HTML) else JSON_TYPE), PAGE_CACHE_CONTROL
        case MetadataKey():
            return METADATA_TYPE, IMMUTABLE_CACHE_CONTROL
        case FactsCacheKey():
            return FACTS_CACHE_TYPE, PRIVATE_CACHE_CONTROL
        case DistributionKey():
            return distribution_content_type(key), IMMUTABLE_CACHE_CONTROL
        case YankKey() | TombstoneKey():
            return YANK_TYPE, PRIVATE_CACHE_CONTROL
        case info:
            return _other_headers(key, info)


def content_encoding_of(key: str) -> str | None:
    """The Content-Encoding an object is stored with: `gzip` for a page variant, else None."""
    return GZIP_ENCODING if isinstance(classify(key), PageVariantKey) else None


def _other_headers(key: str, info: KeyInfo) -> tuple[str, str | None]:
    """Human pages and their files: text in UTF-8, cached like pages; anything else by its
    suffix, without Cache-Control."""
    if isinstance(info, HumanKey):
        media_type = mimetypes.guess_type(key)[0] or "text/html"
        return f"{media_type}; charset=utf-8", PAGE_CACHE_CONTROL
    return mimetypes.guess_type(key)[0] or DISTRIBUTION_TYPE, None


def human_page_key(project: NormalizedName) -> str:
    """The human page of a project (`/-/project/<p>/`)."""
    return f"{HUMAN_PROJECTS}{project}/index.html"


def description_key(project: NormalizedName, version: Version | str) -> str:
    """The rendered long description of a release (sanitised HTML fragment)."""
    return f"{HUMAN_PROJECTS}{project}/description-{Version(str(version))}.html"


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


def gzip_variant_key(page_key: str) -> str | None:
    """The gzip variant of a JSON page key, or None for any other key (HTML pages have none:
    CloudFront compresses text/html itself)."""
    if isinstance(classify(page_key), PageKey) and page_key.endswith(ROOT_JSON):
        return page_key + GZIP_SUFFIX
    return None


def facts_cache_key(project: NormalizedName) -> str:
    return f"{FACTS_CACHE_PREFIX}{project}.json"


def project_of_facts_cache(key: str) -> NormalizedName | None:
    if not (key.startswith(FACTS_CACHE_PREFIX) and key.endswith(".json")):
        return None
    name = key[len(FACTS_CACHE_PREFIX) : -len(".json")]
    return _as_normalized(name)


def rejected_key(project: NormalizedName) -> str:
    return f"{REJECTED_PREFIX}{project}.json"


def tombstone_key(project: NormalizedName) -> str:
    return f"{TOMBSTONE_PREFIX}{project}"


def project_of_tombstone(key: str) -> NormalizedName | None:
    if not key.startswith(TOMBSTONE_PREFIX):
        return None
    return _as_normalized(key.removeprefix(TOMBSTONE_PREFIX))


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
    if (special := _classify_special(key)) is not None:
        return special
    if reason := _shape_problem(key):
        return OtherKey(reason)
    folder, base = posixpath.split(key)
    folder_project = _as_normalized(folder)
    if base.endswith(METADATA_SUFFIX):
        return MetadataKey(folder_project)
    if base in (*PAGE_NAMES, GZIP_PAGE) and (folder == "" or folder_project):
        return PageKey(folder_project) if base in PAGE_NAMES else PageVariantKey(folder_project)
    if base.endswith(YANK_SUFFIX):
        return _classify_yank(key, folder_project)
    return _classify_distribution(key, folder, base)


def _classify_distribution(key: str, folder: str, base: str) -> DistributionKey | OtherKey:
    try:
        dist = parse_distribution(base)
    except NotADistribution as exc:
        return OtherKey(str(exc))
    if reason := too_long(key, dist):
        return OtherKey(reason)
    return DistributionKey(dist, filed=folder == dist.project)


def _classify_special(key: str) -> KeyInfo | None:
    """Private state (`_pyshelf/`), or a human page or file (under `-/`; a distribution put
    there is still refiled to its project's folder); None for any other key."""
    if key.startswith(PRIVATE_PREFIX):
        return _classify_private(key)
    if key.startswith(HUMAN_PREFIX) and not key.endswith(EVENT_SUFFIXES):
        return HumanKey()
    return None


def _shape_problem(key: str) -> str | None:
    """Why a public key is not `<folder>/<name>` or a bare name at the root, or None."""
    parts = key.split("/")
    if "" in parts:
        return f"{key!r}: an empty path segment (keys are <project>/<filename> or <filename>)"
    if len(parts) > 2:
        return f"{key!r}: nested too deep (keys are <project>/<filename> or <filename>)"
    return None


def too_long(key: str, dist: Distribution) -> str | None:
    """Why a distribution's filed key or a key derived from it would be longer than S3 allows."""
    filed = distribution_key(dist.project, dist.filename)
    longest = max(_key_bytes(k) for k in (key, filed, metadata_key(key), metadata_key(filed)))
    if longest > MAX_KEY_BYTES:
        return (
            f"{key}: too long: its filed key or .metadata key would be {longest} bytes "
            f"(S3 allows {MAX_KEY_BYTES})"
        )
    return None


def _key_bytes(key: str) -> int:
    return len(key.encode())


def _classify_private(key: str) -> KeyInfo:
    if project := project_of_facts_cache(key):
        return FactsCacheKey(project)
    if project := project_of_tombstone(key):
        return TombstoneKey(project)
    return OtherKey("private")


def _classify_yank(key: str, folder_project: NormalizedName | None) -> KeyInfo:
    version = version_of_yank(key)
    if folder_project and version:
        return YankKey(folder_project, version)
    return OtherKey(f"{key}: yank records live at <project>/<version>.yank")


def is_filed(key: str) -> bool:
    """True when a distribution key sits in its project's folder under its own filename."""
    info = classify(key)
    return isinstance(info, DistributionKey) and info.filed


def _as_normalized(folder: str) -> NormalizedName | None:
    """The folder as a project name, if it is exactly a normalized name."""
    if not folder or "/" in folder:
        return None
    try:
        name = canonicalize_name(folder, validate=True)
    except ValueError:
        return None
    return name if name == folder else None
