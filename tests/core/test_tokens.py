from __future__ import annotations

import hashlib

import pytest

from pyshelf.core.tokens import (
    MAX_VALUE_BYTES,
    InvalidTokenRecord,
    TokenRecord,
    normalize_glob,
    token_key,
)


def test_the_key_is_the_sha256_of_the_token_never_the_token() -> None:
    token = "pyshelf_secret"
    assert token_key(token) == "token:" + hashlib.sha256(b"pyshelf_secret").hexdigest()
    assert token not in token_key(token)


@pytest.mark.parametrize(
    ("glob", "normalized"),
    [("acme-*", "acme-*"), ("Acme_Lib", "acme-lib"), ("acme..*", "acme-*"), ("?x", "?x")],
)
def test_globs_are_normalized_like_project_names(glob: str, normalized: str) -> None:
    assert normalize_glob(glob) == normalized


@pytest.mark.parametrize("glob", ["", "-a", "a/b", "a b", "[ab]", "é", "x" * 101])
def test_bad_globs_are_refused(glob: str) -> None:
    with pytest.raises(InvalidTokenRecord):
        normalize_glob(glob)


def test_a_record_round_trips_through_its_store_value() -> None:
    record = TokenRecord(
        name="ci", created=10, expires=20, scopes=("read", "upload"), projects=("acme-*",)
    )
    value = record.encode()
    assert value == '{"c":10,"e":20,"n":"ci","p":["acme-*"],"s":["read","upload"],"v":1}'
    assert TokenRecord.decode(value) == record


@pytest.mark.parametrize(
    "value",
    [
        "",
        "[]",
        '{"v":2,"n":"x","c":1,"e":0,"s":["read"]}',
        '{"v":1,"n":"x","c":1,"e":0,"s":["admin"]}',
        '{"v":1,"n":"x","c":-1,"e":0,"s":["read"]}',
        '{"v":1,"n":"x","c":1,"e":true,"s":["read"]}',
        '{"v":1,"n":"x","c":1,"e":0,"s":["read"],"p":["Not Normal"]}',
        '{"v":1,"n":"x","c":1,"e":0,"s":["read"],"p":[]}',
        '{"v":1,"c":1,"e":0,"s":["read"]}',
        '{"v":true,"n":"x","c":1,"e":0,"s":["read"]}',
        '{"v":1,"n":"x","c":1,"e":0,"s":{"read":1}}',
        '{"v":1,"n":"x","c":1,"e":0,"s":"read"}',
        '{"v":1,"n":"x","c":1,"e":0,"s":["read"],"p":"foo"}',
        '{"v":1,"n":"x","c":1.5,"e":0,"s":["read"]}',
    ],
)
def test_malformed_values_decode_to_nothing(value: str) -> None:
    assert TokenRecord.decode(value) is None


def test_whole_numbers_written_as_floats_decode_like_in_javascript() -> None:
    record = TokenRecord.decode('{"v":1.0,"n":"x","c":1.0,"e":2.0,"s":["read"]}')
    assert record == TokenRecord(name="x", created=1, expires=2)


def test_expiry_and_scope() -> None:
    record = TokenRecord(name="r", created=0, expires=100, projects=("acme-*", "tool?"))
    assert record.usable_at(99.9) and not record.usable_at(100)
    assert TokenRecord(name="r", created=0).usable_at(10**12)
    assert record.covers("acme-lib") and record.covers("tools")
    assert not record.covers("acme") and not record.covers("tool") and not record.covers(None)
    assert TokenRecord(name="r", created=0).covers(None)


def test_the_value_limit_bounds_the_scope_list() -> None:
    globs = tuple(f"project-{i:03d}-*" for i in range(80))
    with pytest.raises(InvalidTokenRecord, match=str(MAX_VALUE_BYTES)):
        TokenRecord(name="big", created=0, projects=globs).encode()
    assert TokenRecord(name="ok", created=0, projects=globs[:40]).encode()


def test_a_number_too_large_for_an_integer_denies_like_the_edge_function() -> None:
    """JSON's 1e400 is infinity: route.js's whole-number check refuses it, and so does this."""
    assert TokenRecord.decode('{"v":1,"n":"x","c":1,"e":1e400,"s":["read"]}') is None
