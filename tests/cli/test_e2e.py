"""End to end: the real console entry point, in a subprocess, against the whole local stack
(`pyshelf serve`'s moto S3 + SQS, indexer worker and CDN) started in this process."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from distbuild import wheel

from cli.helpers import write_wheel
from pyshelf.local.accesslog import AccessLog
from pyshelf.local.banner import Endpoints
from pyshelf.local.runtime import LocalIndex, ServeConfig

BUCKET = "shelf-e2e"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"


@pytest.fixture
def local_index() -> Iterator[Endpoints]:
    config = ServeConfig(port=0, s3_port=0, bucket=BUCKET)
    with LocalIndex(config, AccessLog(io.StringIO())) as index:
        yield index.endpoints


def _pyshelf(endpoints: Endpoints, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "e2e",
        "AWS_SECRET_ACCESS_KEY": "e2e",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PYSHELF_ENDPOINT_URL": endpoints.s3_endpoint,
        "PYSHELF_BUCKET": endpoints.bucket,
        "PYSHELF_INDEX_URL": endpoints.index_url,
    }
    return subprocess.run(
        [sys.executable, "-m", "pyshelf.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.e2e
def test_upload_wait_then_refuse_other_bytes(local_index: Endpoints, tmp_path: Path) -> None:
    whl = write_wheel(tmp_path, "e2e-demo", "1.0")
    original = whl.read_bytes()
    uploaded = _pyshelf(local_index, "upload", "--wait", "--timeout", "60", str(whl))
    assert uploaded.returncode == 0, uploaded.stderr
    index_url = local_index.index_url.rstrip("/") + "/"
    assert f"pip install --index-url {index_url} e2e-demo" in uploaded.stdout

    request = urllib.request.Request(f"{index_url}e2e-demo/", headers={"Accept": JSON_TYPE})
    with urllib.request.urlopen(request, timeout=10) as response:
        page = json.loads(response.read())
    hashes = {f["filename"]: f["hashes"]["sha256"] for f in page["files"]}
    assert hashes == {whl.name: hashlib.sha256(original).hexdigest()}

    whl.write_bytes(wheel("e2e-demo", "1.0", module="changed"))
    refused = _pyshelf(local_index, "upload", str(whl))
    assert refused.returncode == 4
    assert "already exist with different bytes" in refused.stderr
    assert "Traceback" not in refused.stderr
    s3 = boto3.client(
        "s3",
        endpoint_url=local_index.s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id="e2e",
        aws_secret_access_key="e2e",
    )
    stored = s3.get_object(Bucket=BUCKET, Key=f"e2e-demo/{whl.name}")["Body"].read()
    assert stored == original
