"""S3's rules for general purpose bucket names (pure), checked before any request is made, so a
name S3 refuses is said as such instead of surfacing as an error of some later call.

https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
"""

from __future__ import annotations

import ipaddress
import re

RULE = (
    "S3 bucket names are 3 to 63 characters of lowercase letters, digits, '.' and '-', "
    "starting and ending with a letter or digit"
)
_CHARACTERS = re.compile(r"[a-z0-9][a-z0-9.-]*[a-z0-9]")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
MIN_LENGTH, MAX_LENGTH = 3, 63


def bucket_name_problem(name: str) -> str | None:
    """Why S3 refuses `name` as a bucket name (one clause), or None when it is valid."""
    if not MIN_LENGTH <= len(name) <= MAX_LENGTH or not _CHARACTERS.fullmatch(name):
        return RULE
    if ".." in name:
        return "S3 bucket names have no two adjacent periods"
    if _is_ip_address(name):
        return "S3 bucket names are not formatted as an IP address"
    for prefix in _RESERVED_PREFIXES:
        if name.startswith(prefix):
            return f"S3 reserves the prefix {prefix!r}"
    for suffix in _RESERVED_SUFFIXES:
        if name.endswith(suffix):
            return f"S3 reserves the suffix {suffix!r}"
    return None


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True
