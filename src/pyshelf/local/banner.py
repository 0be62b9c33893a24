"""What `pyshelf serve` prints once it is ready (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from pyshelf.core.edge_auth import Access
from pyshelf.local.aws import client_environment
from pyshelf.local.datadir import KVS_FILE
from pyshelf.publish.index_reader import TOKEN_USER, TOKEN_VARIABLE

TOKEN_PLACEHOLDER = "TOKEN"


@dataclass(frozen=True, slots=True)
class Endpoints:
    index_url: str
    s3_endpoint: str
    bucket: str
    data: Path | None
    access: Access = "public"
    upstream: str | None = None
    reserved: tuple[str, ...] = ()


def state_line(data: Path | None) -> str:
    if data is None:
        return "in memory: everything is lost when this process stops (keep it with --data DIR)"
    return (
        f"kept in {data}: an upload is written there when its event reaches the indexer "
        "(within about a second), everything else at a clean stop (Ctrl-C)"
    )


def access_line(access: Access) -> str:
    if access == "private":
        return f"private: every request needs a read token (HTTP Basic, user {TOKEN_USER})"
    return "public: anyone who reaches the port reads the index (--private asks for tokens)"


def upstream_lines(upstream: str | None, reserved: tuple[str, ...]) -> list[str]:
    """What falls through (nothing without an upstream)."""
    if upstream is None:
        return []
    kept = ", ".join(reserved) if reserved else "none (--reserve GLOB)"
    return [
        f"  Upstream     {upstream}   (pages of names not published here are redirected there)",
        f"  Reserved     {kept}   (never redirected, published here or not)",
    ]


def with_token(index_url: str, token: str = TOKEN_PLACEHOLDER) -> str:
    """`http://__token__:TOKEN@host/`: the index URL as pip and uv take a token."""
    url = urlsplit(index_url)
    return urlunsplit(url._replace(netloc=f"{TOKEN_USER}:{token}@{url.netloc}"))


def banner(endpoints: Endpoints) -> str:
    url, s3, bucket = endpoints.index_url, endpoints.s3_endpoint, endpoints.bucket
    private = endpoints.access == "private"
    index = with_token(url) if private else url
    install = f"Install ({TOKEN_PLACEHOLDER}: what `pyshelf token create` printed):"
    exports = " ".join(f"{name}={value}" for name, value in client_environment().items())
    lines = [
        "pyshelf serve: a local package index (S3 + SQS emulator, indexer, CDN)",
        "",
        f"  Index URL    {url}   (also {url}simple/)",
        f"  Access       {access_line(endpoints.access)}",
        *upstream_lines(endpoints.upstream, endpoints.reserved),
        f"  S3 endpoint  {s3}",
        f"  Bucket       {bucket}",
        f"  State        {state_line(endpoints.data)}",
        "",
        "Credentials for awscli and boto3 (dummies; the emulator accepts them):",
        f"  export {exports}",
        "Point the pyshelf command line at this index (or name it in a pyshelf.toml target):",
        f"  export {cli_exports(endpoints)}",
        "",
        *(_tokens(endpoints) if private else []),
        "Upload:",
        f"  aws s3 cp --endpoint-url {s3} dist/foo-1.0-py3-none-any.whl s3://{bucket}/foo/",
        f"  {_upload_prefix(private)}pyshelf upload --wait dist/*",
        install if private else "Install:",
        f"  pip install --index-url {index} foo",
        f"  uv pip install --index-url {index} foo",
        "",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)


def cli_exports(endpoints: Endpoints) -> str:
    """`PYSHELF_ENDPOINT_URL=... PYSHELF_BUCKET=... PYSHELF_INDEX_URL=...`: the target of every
    `pyshelf` command, as environment variables."""
    return (
        f"PYSHELF_ENDPOINT_URL={endpoints.s3_endpoint} PYSHELF_BUCKET={endpoints.bucket} "
        f"PYSHELF_INDEX_URL={endpoints.index_url}"
    )


def _upload_prefix(private: bool) -> str:
    """`--wait` reads the index: a private one with the token in PYSHELF_TOKEN."""
    return f"{TOKEN_VARIABLE}={TOKEN_PLACEHOLDER} " if private else ""


def _tokens(endpoints: Endpoints) -> list[str]:
    s3, url = endpoints.s3_endpoint, endpoints.index_url
    kept = "in memory" if endpoints.data is None else f"kept in {endpoints.data / KVS_FILE}"
    return [
        f"Tokens (the index is private; {kept}; a change counts from the next request):",
        f"  pyshelf token create NAME --endpoint-url {s3} --index-url {url}",
        f"  pyshelf token list --endpoint-url {s3}",
        f"  pyshelf token revoke NAME --endpoint-url {s3}",
        "",
    ]
