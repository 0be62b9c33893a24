"""Fixtures of the token store tests: the memory store, and the boto3 adapter over the local
emulator's KeyValueStore API (a real botocore client, real HTTP)."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from pyshelf.access.cloudfront import CloudFrontKeyValueStore, client_for
from pyshelf.access.memory import MemoryKeyValueStore
from pyshelf.access.store import KeyValueStore
from pyshelf.constants import LOCAL_KVS_ARN
from pyshelf.local.emulator import Emulator


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A fresh emulator (and so an empty token store) per test."""
    with Emulator("127.0.0.1", 0) as running:
        yield running


def local_session() -> boto3.Session:
    return boto3.Session(aws_access_key_id="local", aws_secret_access_key="local")


@pytest.fixture
def emulated(emulator: Emulator) -> CloudFrontKeyValueStore:
    return CloudFrontKeyValueStore(client_for(local_session(), emulator.endpoint), LOCAL_KVS_ARN)


@pytest.fixture(params=["memory", "emulator"])
def kvs(request: pytest.FixtureRequest) -> KeyValueStore:
    """Each contract test runs over both implementations."""
    if request.param == "memory":
        return MemoryKeyValueStore()
    store: KeyValueStore = request.getfixturevalue("emulated")
    return store
