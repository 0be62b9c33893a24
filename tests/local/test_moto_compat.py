"""`pyshelf.local.moto_compat`: the copy of a multipart upload reads back (and bare moto's copy
does not, the reason for the patch)."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from moto import mock_aws
from moto.s3.responses import S3Response

from pyshelf.local import moto_compat

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MiB = 1024 * 1024
BUCKET = "compat"
# As `aws s3 cp` sends 9 MiB: two parts (8 MiB chunks), each with its CRC32.
AWS_CLI_TRANSFER = TransferConfig(multipart_threshold=8 * MiB, multipart_chunksize=8 * MiB)
DATA = bytes(range(256)) * (9 * MiB // 256)

_BARE_MOTO = f"""
import io
import boto3
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import FlexibleChecksumError
from moto import mock_aws
from moto.s3.responses import S3Response

with mock_aws():
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="bare")
    data = bytes(range(256)) * (9 * {MiB} // 256)
    config = TransferConfig(multipart_threshold=8 * {MiB}, multipart_chunksize=8 * {MiB})
    s3.upload_fileobj(io.BytesIO(data), "bare", "big.bin", Config=config)
    assert s3.get_object(Bucket="bare", Key="big.bin")["Body"].read() == data
    s3.copy_object(Bucket="bare", Key="copy.bin", CopySource={{"Bucket": "bare", "Key": "big.bin"}})
    try:
        s3.get_object(Bucket="bare", Key="copy.bin")["Body"].read()
    except FlexibleChecksumError as exc:
        print("FlexibleChecksumError:", exc)
"""


def test_bare_moto_cannot_read_back_the_copy_of_a_multipart_upload() -> None:
    """In a fresh interpreter (moto_compat patches moto for the whole process). When this fails,
    moto has fixed its CopyObject and the checksum part of the patch can go."""
    result = subprocess.run(
        [sys.executable, "-c", _BARE_MOTO], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.startswith("FlexibleChecksumError: Expected checksum"), result.stdout


@pytest.fixture
def s3() -> Iterator[S3Client]:
    moto_compat.install()
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client.upload_fileobj(io.BytesIO(DATA), BUCKET, "big.bin", Config=AWS_CLI_TRANSFER)
        yield client


def test_the_copy_of_a_multipart_upload_reads_back(s3: S3Client) -> None:
    s3.copy_object(Bucket=BUCKET, Key="copy.bin", CopySource={"Bucket": BUCKET, "Key": "big.bin"})
    source, copy = (s3.get_object(Bucket=BUCKET, Key=k) for k in ("big.bin", "copy.bin"))
    assert copy["Body"].read() == DATA
    assert source["ChecksumType"] == copy["ChecksumType"] == "COMPOSITE"
    assert source["ChecksumCRC32"] == copy["ChecksumCRC32"]
    assert copy["ChecksumCRC32"].endswith("-2")  # of two parts: not checked against the body


def test_a_copy_that_asks_for_a_new_checksum_gets_a_whole_object_one(s3: S3Client) -> None:
    s3.copy_object(
        Bucket=BUCKET,
        Key="copy.bin",
        CopySource={"Bucket": BUCKET, "Key": "big.bin"},
        ChecksumAlgorithm="SHA256",
    )
    copy = s3.get_object(Bucket=BUCKET, Key="copy.bin")
    assert "-" not in copy["ChecksumSHA256"]
    assert copy["Body"].read() == DATA  # checked against that checksum


def test_install_is_idempotent() -> None:
    moto_compat.install()
    patched = S3Response.copy_object
    moto_compat.install()
    assert S3Response.copy_object is patched
