"""`pyshelf reindex` puts a request on the events queue; the indexer performs it (the operator
never writes pages) and writes a report the CLI waits for."""

from __future__ import annotations

import json
from typing import Any

import pytest
from distbuild import wheel
from eventjson import created, sqs_event
from packaging.utils import canonicalize_name

from pyshelf.core.reindex_request import (
    ProjectOutcome,
    ReindexReport,
    ReindexRequest,
    parse_request,
    report_key,
)
from pyshelf.indexer.batch import handle_event
from pyshelf.storage import Storage


def request_event(body: dict[str, Any] | str) -> dict[str, Any]:
    event = sqs_event({})
    event["Records"][0]["body"] = body if isinstance(body, str) else json.dumps(body)
    return event


def report_of(store: Storage, request_id: str) -> ReindexReport:
    blob = store.get(report_key(request_id))
    assert blob is not None
    return ReindexReport.loads(blob.body)


def test_the_indexer_performs_a_request_and_reports_each_project(store: Storage) -> None:
    store.put("foo/foo-1.0-py3-none-any.whl", wheel("foo", "1.0"), content_type="application/zip")
    assert handle_event(created("foo/foo-1.0-py3-none-any.whl"), store)["batchItemFailures"] == []
    store.put("foo/index.html", b"forged", content_type="text/html")
    request = ReindexRequest("r-1", (canonicalize_name("Foo"), canonicalize_name("nope")))
    response = handle_event(request_event(request.dumps()), store)
    assert response == {"batchItemFailures": []}
    assert report_of(store, "r-1").projects == (
        ProjectOutcome("foo", "rebuilt", 1),
        ProjectOutcome("nope", "unknown", 0),
    )
    page = store.get("foo/index.html")
    assert page is not None and b"foo-1.0-py3-none-any.whl" in page.body


def test_every_project_when_none_are_named(store: Storage) -> None:
    store.put("foo/foo-1.0-py3-none-any.whl", wheel("foo", "1.0"), content_type="application/zip")
    store.put("bar/bar-2.0-py3-none-any.whl", wheel("bar", "2.0"), content_type="application/zip")
    handle_event(request_event({"pyshelf": "reindex", "request": "all-1", "projects": None}), store)
    outcomes = {p.name: p.outcome for p in report_of(store, "all-1").projects}
    assert outcomes == {"bar": "rebuilt", "foo": "rebuilt"}
    root = store.get("index.json")
    assert root is not None and [p["name"] for p in json.loads(root.body)["projects"]] == [
        "bar",
        "foo",
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"pyshelf": "reindex", "request": "../x", "projects": None},  # not a filesystem path
        {"pyshelf": "reindex", "request": "ok", "projects": "foo"},
        {"pyshelf": "reindex", "request": "ok", "projects": ["not a name!"]},
    ],
)
def test_a_malformed_request_is_logged_and_dropped(
    store: Storage, body: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    assert handle_event(request_event(body), store) == {"batchItemFailures": []}
    assert "unreadable message body" in caplog.text
    assert not list(store.list("_pyshelf/reindex/"))


def test_requests_and_reports_round_trip() -> None:
    names = (canonicalize_name("bar"), canonicalize_name("foo"))
    body = json.loads(ReindexRequest("a-1", names).dumps())
    assert body == {"pyshelf": "reindex", "request": "a-1", "projects": ["bar", "foo"]}
    assert parse_request({**body, "projects": ["Foo", "foo", "BAR"]}).projects == ("bar", "foo")
    report = ReindexReport("a-1", (ProjectOutcome("foo", "still-changing"),))
    assert ReindexReport.loads(report.dumps()) == report
    with pytest.raises(ValueError, match="outcome"):
        ReindexReport.loads(b'{"request":"a","projects":[{"name":"x","outcome":"ok","files":0}]}')


def test_a_project_that_fails_is_reported_and_the_rest_go_on(
    store: Storage, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pyshelf.indexer import requested  # noqa: PLC0415

    store.put("bad/bad-1.0-py3-none-any.whl", wheel("bad", "1.0"), content_type="application/zip")
    store.put("foo/foo-1.0-py3-none-any.whl", wheel("foo", "1.0"), content_type="application/zip")
    real = requested.regenerate_project  # type: ignore[attr-defined]

    def regenerate(store: Storage, project: str, **kwargs: Any) -> Any:
        if project == "bad":
            raise OSError("connection reset by peer")
        return real(store, project, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(requested, "regenerate_project", regenerate)
    event = request_event({"pyshelf": "reindex", "request": "f-1", "projects": None})
    # reported, and the message is retried (tests/indexer/test_pages_agree.py says why)
    assert handle_event(event, store) == {"batchItemFailures": [{"itemIdentifier": "message-0"}]}
    report = report_of(store, "f-1")
    assert report.projects == (
        ProjectOutcome("bad", "failed", 0, "OSError: connection reset by peer"),
        ProjectOutcome("foo", "rebuilt", 1),
    )
    blob = store.get(report_key("f-1"))
    assert blob is not None and b'"reason":"OSError: connection reset by peer"' in blob.body
