"""Build small but real distributions for tests (wheels with METADATA/WHEEL/RECORD, sdists)."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import zipfile


def metadata_text(name: str, version: str, requires_python: str | None = None) -> bytes:
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}"]
    if requires_python:
        lines.append(f"Requires-Python: {requires_python}")
    return ("\n".join(lines) + "\n\n").encode()


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def wheel(
    name: str,
    version: str,
    requires_python: str | None = None,
    *,
    module: str | None = None,
    metadata: bytes | None = None,
) -> bytes:
    """A pure-Python wheel that pip and uv can install."""
    dist_name = name.replace("-", "_")
    dist_info = f"{dist_name}-{version}.dist-info"
    module = module or dist_name.lower()
    files = {
        f"{module}/__init__.py": f"VERSION = {version!r}\n".encode(),
        f"{dist_info}/METADATA": metadata or metadata_text(name, version, requires_python),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: pyshelf-tests\nRoot-Is-Purelib: true\n"
            b"Tag: py3-none-any\n\n"
        ),
    }
    record = [_record_line(path, data) for path, data in files.items()]
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            info = zipfile.ZipInfo(path, date_time=(2024, 1, 1, 0, 0, 0))
            archive.writestr(info, data)
    return buffer.getvalue()


def sdist(name: str, version: str, requires_python: str | None = None) -> bytes:
    """A .tar.gz sdist with a PKG-INFO and a setuptools pyproject."""
    dist_name = name.replace("-", "_")
    top = f"{dist_name}-{version}"
    pyproject = (
        f'[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\n'
    ).encode()
    members = {
        f"{top}/PKG-INFO": metadata_text(name, version, requires_python),
        f"{top}/pyproject.toml": pyproject,
        f"{top}/{dist_name.lower()}/__init__.py": b"",
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for path, data in members.items():
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mtime = 1704067200
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()
