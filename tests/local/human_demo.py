"""A small index for the human pages' screenshots: projects with summaries, a README in
Markdown and one in reStructuredText, project URLs, several releases, a yanked one, an sdist."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable
from typing import TYPE_CHECKING

from distbuild import sdist, wheel

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

WIDGETS_README = """\
# acme-widgets

Widgets for **every** workshop: small, typed and fast.

```python
from acme_widgets import Widget
Widget("gear").spin()
```

* works offline
* no dependencies
"""

TOOL_README = """\
tiny-tool
=========

A command line helper. Run ``tiny-tool --help``.
"""


def metadata(name: str, version: str, summary: str, readme: str, markdown: bool) -> bytes:
    kind = "text/markdown" if markdown else "text/x-rst"
    lines = [
        "Metadata-Version: 2.1",
        f"Name: {name}",
        f"Version: {version}",
        f"Summary: {summary}",
        "Author: ACME Tools Team",
        "License-Expression: MIT",
        "Requires-Python: >=3.9",
        f"Project-URL: Source, https://git.example.com/acme/{name}",
        "Project-URL: Documentation, https://docs.example.com/",
        "Classifier: Programming Language :: Python :: 3",
        "Classifier: License :: OSI Approved :: MIT License",
        f"Description-Content-Type: {kind}",
    ]
    return ("\n".join(lines) + "\n\n" + readme).encode()


def seed(s3: S3Client, bucket: str) -> None:
    """Upload the demo projects (wheels with metadata, an sdist) and yank widgets 1.1."""
    widgets = "Widgets for every workshop: small, typed and fast"
    for version in ("1.0", "1.1", "2.0"):
        meta = metadata("acme-widgets", version, widgets, WIDGETS_README, markdown=True)
        body = wheel("acme-widgets", version, metadata=meta)
        key = f"acme-widgets/acme_widgets-{version}-py3-none-any.whl"
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    s3.put_object(
        Bucket=bucket, Key="acme-widgets/acme_widgets-2.0.tar.gz", Body=sdist("acme-widgets", "2.0")
    )
    s3.put_object(Bucket=bucket, Key="acme-widgets/1.1.yank", Body=b"broken on Windows")
    meta = metadata("tiny-tool", "0.3", "A command line helper", TOOL_README, markdown=False)
    s3.put_object(
        Bucket=bucket,
        Key="tiny-tool/tiny_tool-0.3-py3-none-any.whl",
        Body=wheel("tiny-tool", "0.3", metadata=meta),
    )


def browser_get(url: str) -> str:
    request = urllib.request.Request(url, headers={"Accept": "text/html,application/xhtml+xml"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(response.read().decode())


def wait_for(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not _quiet(check):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen in {timeout:g} s")
        time.sleep(0.2)


def _quiet(check: Callable[[], bool]) -> bool:
    try:
        return check()
    except OSError:
        return False


def wait_seeded(index_url: str) -> None:
    """The pages the screenshots show, once the indexer has written them."""
    page = index_url + "-/project/acme-widgets/"
    wait_for(lambda: "broken on Windows" in browser_get(page), "the yanked release")
    wait_for(lambda: "acme_widgets-2.0.tar.gz" in browser_get(page), "the sdist")
    wait_for(lambda: "A command line helper" in browser_get(index_url), "the root's summaries")
