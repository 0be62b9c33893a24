"""The edge case tables' rows as the Python twin sees them (infra/cdn/*_cases.json)."""

from __future__ import annotations

from typing import Any

from pyshelf.core.routing import Forward, Outcome, Request


def viewer_request(raw: dict[str, Any]) -> Request:
    return Request(raw["method"], raw["uri"], raw["headers"], raw["querystring"])


def outcome_json(outcome: Outcome) -> dict[str, Any]:
    """An outcome in the tables' `expect` shape."""
    if isinstance(outcome, Forward):
        return {"uri": outcome.uri}
    got: dict[str, Any] = {"status": outcome.status}
    if outcome.location is not None:
        got["location"] = outcome.location
    if outcome.headers:
        got["headers"] = dict(outcome.headers)
    return got
