"""Upload → visible latency of `pyshelf serve`: N wheel uploads, one at a time; for each, the time
from the PUT returning to the project's JSON page (through the local CDN) listing the file.

    python bench/upload_latency.py [--uploads 100]

Not a test: it prints p50 / p95 / max. Runs the whole local stack in-process on free ports.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import statistics
import sys
import time
import urllib.request
import zipfile

from pyshelf.local import aws
from pyshelf.local.accesslog import AccessLog
from pyshelf.local.runtime import LocalIndex, ServeConfig

PROJECT = "bench"
ACCEPT = {"Accept": "application/vnd.pypi.simple.v1+json"}
POLL_SECONDS = 0.01
TIMEOUT_SECONDS = 30.0


def wheel(version: str) -> tuple[str, bytes]:
    stem = f"{PROJECT}-{version}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            f"{stem}.dist-info/METADATA",
            f"Metadata-Version: 2.1\nName: {PROJECT}\nVersion: {version}\n\n",
        )
        archive.writestr(f"{stem}.dist-info/WHEEL", "Wheel-Version: 1.0\nTag: py3-none-any\n")
    return f"{stem}-py3-none-any.whl", buffer.getvalue()


def listed(page_url: str) -> set[str]:
    request = urllib.request.Request(page_url, headers=ACCEPT)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return {f["filename"] for f in json.load(response)["files"]}
    except urllib.error.HTTPError:
        return set()


def wait_listed(page_url: str, filename: str) -> float:
    started = time.perf_counter()
    while filename not in listed(page_url):
        if time.perf_counter() - started > TIMEOUT_SECONDS:
            raise SystemExit(f"{filename} not visible after {TIMEOUT_SECONDS}s")
        time.sleep(POLL_SECONDS)
    return time.perf_counter() - started


def measure(uploads: int) -> list[float]:
    config = ServeConfig(port=0, s3_port=0)
    with LocalIndex(config, AccessLog(io.StringIO())) as index:
        endpoints = index.endpoints
        s3 = aws.s3_client(endpoints.s3_endpoint)
        page_url = f"{endpoints.index_url}{PROJECT}/"
        latencies = []
        for n in range(uploads):
            filename, body = wheel(f"1.{n}")
            s3.put_object(Bucket=endpoints.bucket, Key=f"{PROJECT}/{filename}", Body=body)
            latencies.append(wait_listed(page_url, filename))
        return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=100)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    latencies = sorted(measure(args.uploads))
    quantiles = statistics.quantiles(latencies, n=100)
    print(f"upload -> visible over {len(latencies)} uploads (one at a time, {PROJECT!r} growing)")
    print(f"  p50 {quantiles[49] * 1000:7.1f} ms")
    print(f"  p95 {quantiles[94] * 1000:7.1f} ms")
    print(f"  max {latencies[-1] * 1000:7.1f} ms")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
