"""The multipart/form-data reader of the legacy upload API (pyshelf.core.form_data), against
forms encoded by urllib3 (what requests, and so twine, uses) and by hand."""

from __future__ import annotations

import os

import pytest
from urllib3 import encode_multipart_formdata

from pyshelf.core.form_data import MAX_PARTS, FilePart, FormError, parse_form

BOUNDARY = "b0undary"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def _encoded(fields: list[tuple[str, object]]) -> tuple[str, bytes]:
    body, content_type = encode_multipart_formdata(fields)  # type: ignore[arg-type]
    return content_type, body


def test_fields_and_the_file_come_back_byte_for_byte() -> None:
    # Line breaks of every kind, a would-be boundary without its CRLF, NUL bytes and random
    # bytes: the content is kept exactly.
    data = b"PK\x03\x04\r\n\r\n--\n\r--b\r\x00" + os.urandom(4096) + b"\r\n"
    content_type, body = _encoded(
        [
            (":action", "file_upload"),
            ("name", "Hello_World"),
            ("classifiers", "A :: B"),
            ("classifiers", "C :: D"),
            ("summary", "snow ☃ man\r\nsecond line"),
            ("content", ("hello_world-1.0-py3-none-any.whl", data, "application/octet-stream")),
        ]
    )
    form = parse_form(content_type, body)
    assert form.first(":action") == "file_upload"
    assert form.fields["classifiers"] == ["A :: B", "C :: D"]
    assert form.first("summary") == "snow ☃ man\r\nsecond line"
    assert form.files == {"content": [FilePart("hello_world-1.0-py3-none-any.whl", data)]}
    assert form.first("missing") is None


def test_an_empty_file_and_an_empty_field() -> None:
    content_type, body = _encoded([("comment", ""), ("content", ("a-1.0.tar.gz", b""))])
    form = parse_form(content_type, body)
    assert form.fields == {"comment": [""]}
    assert form.files["content"] == [FilePart("a-1.0.tar.gz", b"")]


def test_quoted_and_rfc2231_filenames() -> None:
    body = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="content"; filename="a \\"b\\".whl"\r\n\r\nx\r\n'
        f"--{BOUNDARY}\r\n"
        "Content-Disposition: form-data; name=other; filename*=UTF-8''%C3%A9t%C3%A9.zip\r\n"
        "\r\ny\r\n"
        f"--{BOUNDARY}--\r\n"
    ).encode()
    form = parse_form(CONTENT_TYPE, body)
    assert form.files["content"][0].filename == 'a "b".whl'
    assert form.files["other"][0].filename == "été.zip"


def test_a_preamble_transport_padding_and_an_epilogue_are_allowed() -> None:
    body = (
        f"ignored preamble\r\n--{BOUNDARY}  \r\n"
        'Content-Disposition: form-data; name="a"\r\n\r\n1\r\n'
        f"--{BOUNDARY}--\r\nepilogue"
    ).encode()
    assert parse_form(CONTENT_TYPE, body).fields == {"a": ["1"]}


@pytest.mark.parametrize(
    ("content_type", "reason"),
    [
        (None, "expected Content-Type multipart/form-data"),
        ("application/x-www-form-urlencoded", "expected Content-Type multipart/form-data"),
        ("multipart/form-data", "no usable boundary"),
        ("multipart/form-data; boundary=" + "x" * 71, "no usable boundary"),
        ("multipart/form-data; boundary=é", "not ASCII"),
    ],
)
def test_content_types_that_are_refused(content_type: str | None, reason: str) -> None:
    with pytest.raises(FormError, match=reason):
        parse_form(content_type, b"")


def _part(headers: str, content: bytes = b"x") -> bytes:
    return f"--{BOUNDARY}\r\n{headers}\r\n\r\n".encode() + content + b"\r\n"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"no boundary at all", "no form parts"),
        (f"--{BOUNDARY}--\r\n".encode(), "no form parts"),
        (_part('Content-Disposition: form-data; name="a"'), "ends before the closing boundary"),
        (
            f"--{BOUNDARY}\r\n\r\nx\r\n--{BOUNDARY}--".encode(),
            "no Content-Disposition header",
        ),
        (_part('Content-Disposition: attachment; name="a"') + b"--b0undary--", "form-data"),
        (_part("Content-Disposition: form-data") + b"--b0undary--", "no field name"),
        (_part('Content-Disposition: form-data; name=""') + b"--b0undary--", "no field name"),
        (
            _part('Content-Disposition: form-data; name="a"', b"\xff\xfe") + b"--b0undary--",
            "'a' is not UTF-8 text",
        ),
        (
            f'--{BOUNDARY}x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n'
            f"--{BOUNDARY}--".encode(),
            "followed by something other than a line break",
        ),
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="a"\r\n1\r\n'
            f"--{BOUNDARY}--".encode(),
            "headers do not end",
        ),
        (
            _part('Content-Disposition: form-data; name="a"; x="' + "y" * 9000 + '"')
            + b"--b0undary--",
            "exceed 8 KiB",
        ),
        (
            _part('Content-Disposition: form-data; name="é"').replace("é".encode(), b"\xe9")
            + b"--b0undary--",
            "headers are not UTF-8",
        ),
    ],
)
def test_malformed_bodies_are_refused_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(FormError, match=reason):
        parse_form(CONTENT_TYPE, body)


def test_the_number_of_parts_is_capped() -> None:
    part = _part('Content-Disposition: form-data; name="a"')
    assert len(parse_form(CONTENT_TYPE, part * MAX_PARTS + b"--b0undary--").fields["a"]) == (
        MAX_PARTS
    )
    with pytest.raises(FormError, match="more than 2,000 form parts"):
        parse_form(CONTENT_TYPE, part * (MAX_PARTS + 1) + b"--b0undary--")
