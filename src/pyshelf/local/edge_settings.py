"""The local CDN's edge settings (pure): `EdgeSettings`, checked the same way, except that the
upstream may also be plain `http://` on this machine (127.0.0.1 or localhost), so that one
`pyshelf serve` can fall through to another. A deployed stack never takes such an upstream:
its settings are plain `EdgeSettings`, which demand https.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from pyshelf.core.edge_auth import Access, EdgeSettings

LOOPBACK_HOSTS = ("127.0.0.1", "localhost")
_HTTP = "http://"


@dataclass(frozen=True, slots=True)
class LocalEdgeSettings(EdgeSettings):
    """`EdgeSettings` whose upstream may be `http://127.0.0.1[:PORT]/...` or
    `http://localhost[:PORT]/...`; every other rule (ending `/`, no credentials, query or
    fragment, URL-safe path, length, reserved globs) is EdgeSettings' own."""

    def __post_init__(self) -> None:
        upstream = self.upstream
        if upstream is not None and upstream.startswith(_HTTP):
            host = _host_of(upstream)
            if host not in LOOPBACK_HOSTS:
                raise ValueError(
                    f"upstream {upstream!r}: http:// only for {' or '.join(LOOPBACK_HOSTS)} "
                    "(another pyshelf serve on this machine); use https:// elsewhere"
                )
            upstream = "https://" + upstream.removeprefix(_HTTP)  # checked as its https twin
        EdgeSettings(self.access, upstream, self.reserved)


def _host_of(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:  # a malformed port or IPv6 literal: EdgeSettings says what is wrong
        return None


def local_edge_settings(
    access: Access, upstream: str | None = None, reserved: tuple[str, ...] = ()
) -> EdgeSettings:
    """The settings of `pyshelf serve`'s CDN; ValueError says what is wrong."""
    return LocalEdgeSettings(access, upstream, reserved)
