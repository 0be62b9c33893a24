"""Structured JSON log lines (one object per line), as CloudWatch Logs Insights likes them."""

from __future__ import annotations

import json
import logging
from typing import ClassVar


class JsonFormatter(logging.Formatter):
    fields: ClassVar[tuple[str, ...]] = ("levelname", "name", "message")

    def format(self, record: logging.LogRecord) -> str:
        record.message = record.getMessage()
        line = {field: getattr(record, field) for field in self.fields}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure(level: int = logging.INFO) -> None:
    """Send pyshelf's logs to stderr as JSON lines (idempotent)."""
    logger = logging.getLogger("pyshelf")
    if any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
        return
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    logger.addHandler(handler)
    logger.setLevel(level)
    logger.propagate = False
