"""What `pyshelf serve` prints once it is ready (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyshelf.local.aws import client_environment


@dataclass(frozen=True, slots=True)
class Endpoints:
    index_url: str
    s3_endpoint: str
    bucket: str
    data: Path | None


def state_line(data: Path | None) -> str:
    if data is None:
        return "in memory: everything is lost when this process stops (keep it with --data DIR)"
    return (
        f"kept in {data}: an upload is written there when its event reaches the indexer "
        "(within about a second), everything else at a clean stop (Ctrl-C)"
    )


def banner(endpoints: Endpoints) -> str:
    url, s3, bucket = endpoints.index_url, endpoints.s3_endpoint, endpoints.bucket
    exports = " ".join(f"{name}={value}" for name, value in client_environment().items())
    lines = [
        "pyshelf serve: a local package index (S3 + SQS emulator, indexer, CDN)",
        "",
        f"  Index URL    {url}   (also {url}simple/)",
        f"  S3 endpoint  {s3}",
        f"  Bucket       {bucket}",
        f"  State        {state_line(endpoints.data)}",
        "",
        "Credentials for awscli and boto3 (dummies; the emulator accepts them):",
        f"  export {exports}",
        "",
        "Upload:",
        f"  aws s3 cp --endpoint-url {s3} dist/foo-1.0-py3-none-any.whl s3://{bucket}/foo/",
        f"  pyshelf upload --endpoint-url {s3} --bucket {bucket} --index-url {url} --wait dist/*",
        "Install:",
        f"  pip install --index-url {url} foo",
        f"  uv pip install --index-url {url} foo",
        "",
        "Press Ctrl-C to stop.",
    ]
    return "\n".join(lines)
