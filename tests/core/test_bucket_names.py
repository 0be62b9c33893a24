"""S3's bucket naming rules, checked before any request (pyshelf.core.bucket_names)."""

from __future__ import annotations

import pytest

from pyshelf.core.bucket_names import RULE, bucket_name_problem


@pytest.mark.parametrize(
    "name", ["pyshelf", "abc", "a" * 63, "my.index-2", "0numbers1", "shelf-cli", "1.2.3"]
)
def test_names_s3_accepts(name: str) -> None:
    assert bucket_name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("rp", RULE),
        ("a" * 64, RULE),
        ("My-Bucket", RULE),
        ("my_bucket", RULE),
        ("-leading", RULE),
        ("trailing.", RULE),
        ("bad bucket", RULE),
        ("a..b", "S3 bucket names have no two adjacent periods"),
        ("192.168.5.4", "S3 bucket names are not formatted as an IP address"),
        ("xn--shelf", "S3 reserves the prefix 'xn--'"),
        ("sthree-shelf", "S3 reserves the prefix 'sthree-'"),
        ("amzn-s3-demo-shelf", "S3 reserves the prefix 'amzn-s3-demo-'"),
        ("shelf-s3alias", "S3 reserves the suffix '-s3alias'"),
        ("shelf--ol-s3", "S3 reserves the suffix '--ol-s3'"),
        ("shelf.mrap", "S3 reserves the suffix '.mrap'"),
        ("shelf--x-s3", "S3 reserves the suffix '--x-s3'"),
        ("shelf--table-s3", "S3 reserves the suffix '--table-s3'"),
    ],
)
def test_names_s3_refuses_and_why(name: str, problem: str) -> None:
    assert bucket_name_problem(name) == problem
