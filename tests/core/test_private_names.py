"""The private set's key format and the release request (pure)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from eventjson import sqs_event

from pyshelf.core.events import messages_of
from pyshelf.core.private_names import project_key, project_of_key
from pyshelf.core.release_request import ReleaseReport, ReleaseRequest, parse_release


@pytest.mark.parametrize(
    ("name", "key"),
    [("foo", "project:foo"), ("Foo_Bar", "project:foo-bar"), ("a.B--c", "project:a-b-c")],
)
def test_a_project_key_holds_the_normalized_name(name: str, key: str) -> None:
    assert project_key(name) == key
    assert project_of_key(key) == key.removeprefix("project:")


def test_a_name_that_is_no_project_name_has_no_key() -> None:
    with pytest.raises(ValueError, match="not a name"):
        project_key("not a name!")


@pytest.mark.parametrize(
    "key", ["project:Foo", "project:foo_bar", "project:", "token:foo", "projects:foo", "foo"]
)
def test_keys_that_are_not_exactly_project_keys_hold_no_name(key: str) -> None:
    assert project_of_key(key) is None


def test_release_requests_and_reports_round_trip() -> None:
    project = project_of_key("project:foo")
    assert project is not None
    body = json.loads(ReleaseRequest("r-1", project).dumps())
    assert body == {"pyshelf": "release-name", "request": "r-1", "project": "foo"}
    assert parse_release({**body, "project": "Foo_Bar"}).project == "foo-bar"
    report = ReleaseReport("r-1", "foo", "has-files")
    assert ReleaseReport.loads(report.dumps()) == report
    assert ReleaseRequest("r-1", "foo").report_key == "_pyshelf/reindex/r-1.json"  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "data",
    [
        b'{"request":"a","project":"x","outcome":"gone"}',
        b'{"request":"a","project":"x"}',
        b"[]",
        b"not json",
    ],
)
def test_a_malformed_release_report_is_a_value_error(data: bytes) -> None:
    with pytest.raises(ValueError):
        ReleaseReport.loads(data)


def message_with(body: dict[str, Any]) -> Any:
    (message,) = messages_of(sqs_event(body))
    return message


def test_a_release_message_is_read_as_a_release_request() -> None:
    message = message_with({"pyshelf": "release-name", "request": "r-2", "project": "Foo"})
    assert message.release == ReleaseRequest("r-2", "foo")  # type: ignore[arg-type]
    assert (message.events, message.reindex, message.problem) == ((), None, None)


def test_a_malformed_release_message_is_a_problem() -> None:
    message = message_with({"pyshelf": "release-name", "request": "r-2", "project": "no way"})
    assert message.release is None
    assert "unreadable message body" in message.problem
