"""A `multipart/form-data` body read whole (pure): what PyPI's legacy upload API receives from
twine, uv publish and poetry publish (RFC 7578).

The standard library's `cgi` is deprecated (and removed in 3.13), and `email`'s MIME parser
rewrites what it does not understand; so this splits the body on its boundary itself, keeping
every byte of a part's content, and uses `email` only for the part headers (quoted parameters,
RFC 2231 filenames). The body is in memory already (an upload Lambda's event, or a bounded
read in `pyshelf serve`); the number of parts is capped.

Anything malformed is a `FormError` whose message says what, for a 400 answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import Message
from email.parser import HeaderParser

from pyshelf.core.errors import PyshelfError

MAX_PARTS = 2_000  # twine sends a few dozen, plus one per classifier
MAX_PART_HEADER_BYTES = 8 * 1024
MAX_BOUNDARY_LENGTH = 70  # RFC 2046
CRLF = b"\r\n"


class FormError(PyshelfError, ValueError):
    """The body is not a well-formed multipart/form-data form; the message says why."""


@dataclass(frozen=True, slots=True)
class FilePart:
    filename: str
    data: bytes


@dataclass(frozen=True, slots=True)
class Form:
    """Text fields (every value of a repeated name, in order) and file fields."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, list[FilePart]] = field(default_factory=dict)

    def first(self, name: str) -> str | None:
        """The field's first value, None when absent."""
        values = self.fields.get(name)
        return values[0] if values else None


def boundary_of(content_type: str | None) -> bytes:
    """The boundary of a `multipart/form-data` Content-Type; FormError for any other type."""
    header = Message()
    header["content-type"] = content_type or ""
    if content_type is None or header.get_content_type() != "multipart/form-data":
        raise FormError(f"expected Content-Type multipart/form-data, got {content_type!r}")
    boundary = header.get_param("boundary")
    if not isinstance(boundary, str) or not 0 < len(boundary) <= MAX_BOUNDARY_LENGTH:
        raise FormError("the multipart/form-data Content-Type has no usable boundary")
    if not boundary.isascii():
        raise FormError("the multipart boundary is not ASCII")
    return boundary.encode("ascii")


def parse_form(content_type: str | None, body: bytes) -> Form:
    """The form in `body`, split on the boundary that `content_type` names."""
    boundary = boundary_of(content_type)
    delimiter = CRLF + b"--" + boundary
    pieces = (CRLF + body).split(delimiter)
    no_parts = "the body holds no form parts (or does not use the declared boundary)"
    if len(pieces) < 2:
        raise FormError(no_parts)
    if not pieces[-1].startswith(b"--"):
        raise FormError("the body ends before the closing boundary (truncated?)")
    if len(pieces) == 2:
        raise FormError(no_parts)
    if len(pieces) - 2 > MAX_PARTS:
        raise FormError(f"more than {MAX_PARTS:,} form parts")
    form = Form()
    for piece in pieces[1:-1]:
        _add_part(form, piece)
    return form


def _add_part(form: Form, piece: bytes) -> None:
    # After the delimiter: optional whitespace (transport padding), then CRLF.
    line_end = piece.find(CRLF)
    if line_end < 0 or piece[:line_end].strip(b" \t"):
        raise FormError("a boundary line is followed by something other than a line break")
    rest = piece[line_end + 2 :]
    if rest.startswith(CRLF):  # a part without headers
        raise FormError("a form part has no Content-Disposition header")
    header_end = rest.find(CRLF + CRLF)
    if header_end < 0 or header_end > MAX_PART_HEADER_BYTES:
        raise FormError("a form part's headers do not end (or exceed 8 KiB)")
    name, filename = _disposition(rest[:header_end])
    content = rest[header_end + 4 :]
    if filename is not None:
        form.files.setdefault(name, []).append(FilePart(filename, content))
        return
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        raise FormError(f"form field {name!r} is not UTF-8 text") from None
    form.fields.setdefault(name, []).append(text)


def _disposition(raw: bytes) -> tuple[str, str | None]:
    """(field name, filename or None) of a part's `Content-Disposition: form-data`."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FormError("a form part's headers are not UTF-8") from None
    headers = HeaderParser().parsestr(text + "\r\n\r\n", headersonly=True)
    disposition = headers.get("content-disposition")
    if disposition is None or headers.get_content_disposition() != "form-data":
        raise FormError("a form part has no Content-Disposition: form-data header")
    name = headers.get_param("name", header="content-disposition")
    if not isinstance(name, str) or not name:
        raise FormError("a form part has no field name")
    filename = headers.get_filename()
    return name, filename
