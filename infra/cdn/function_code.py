"""The CloudFront Function's code as deployed: `route.js` with the environment's settings.

`route.js` declares its settings on one line, `var CONFIG = {...};`, which holds the defaults
the tests run with; the synth replaces that line with the environment's values as JSON. The
deployed code drops whole-line comments, indentation and blank lines (CloudFront caps a function
at 10 KB); the code itself is unchanged, and the tests run this deployed form.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path

ROUTE_JS = Path(__file__).with_name("route.js")
CONFIG_LINE = re.compile(r"^var CONFIG = \{.*\};$", re.MULTILINE)
# CloudFront Functions: the function code is at most 10 KB.
MAX_CODE_BYTES = 10 * 1024


class FunctionCodeError(ValueError):
    """The function cannot be built (no settings line, or over CloudFront's size limit)."""


def function_code(settings: Mapping[str, object], source: Path = ROUTE_JS) -> str:
    """route.js with `settings` in place of its default CONFIG line."""
    code = source.read_text(encoding="utf-8")
    line = f"var CONFIG = {json.dumps(dict(settings), sort_keys=True, separators=(',', ':'))};"
    code, count = CONFIG_LINE.subn(lambda _match: line, code)
    if count != 1:
        raise FunctionCodeError(f"{source}: expected one `var CONFIG = {{...}};` line")
    code = compact(code)
    size = len(code.encode("utf-8"))
    if size > MAX_CODE_BYTES:
        raise FunctionCodeError(f"the function is {size} bytes, over CloudFront's {MAX_CODE_BYTES}")
    return code


def compact(code: str) -> str:
    """The code without whole-line `//` comments, indentation or blank lines. route.js has no
    multi-line strings or block comments, so no line's meaning depends on either."""
    lines = [line.strip() for line in code.splitlines()]
    if "`" in code or any(line.startswith("/*") for line in lines):
        raise FunctionCodeError("route.js: template literals and block comments are not compacted")
    return "\n".join(line for line in lines if line and not line.startswith("//")) + "\n"
