"""The edge case tables' rows as the Python twin sees them (infra/cdn/*_cases.json)."""

from __future__ import annotations

from typing import Any

from pyshelf.core.routing import Forward, Outcome, Request


def viewer_request(raw: dict[str, Any]) -> Request:
    return Request(raw["method"], raw["uri"], raw["headers"], raw["querystring"])


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    """An outcome in the tables' `expect` shape."""
    if isinstance(outcome, Forward):
        forwarded = {"uri": outcome.uri}
        if outcome.upload is not None:
            forwarded["upload"] = outcome.upload
        return forwarded
    got: dict[str, Any] = {"status": outcome.status}
    if outcome.location is not None:
        got["location"] = outcome.location
    if outcome.headers:
        got["headers"] = dict(outcome.headers)
    if outcome.reason is not None:
        got["reason"] = outcome.reason
    return got
