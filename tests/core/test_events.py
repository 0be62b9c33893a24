from __future__ import annotations

import pytest
from eventjson import load_fixture, s3_notification, sqs_event

from pyshelf.core.events import messages_of, parse_notification


def test_put_fixture() -> None:
    (event,) = parse_notification(load_fixture("s3-put.json"))
    assert (event.bucket, event.key, event.removed) == (
        "pyshelf-test",
        "foo/foo-1.0-py3-none-any.whl",
        False,
    )


def test_delete_fixture() -> None:
    (event,) = parse_notification(load_fixture("s3-delete.json"))
    assert event.removed and event.name == "ObjectRemoved:DeleteMarkerCreated"


def test_test_event_gives_nothing() -> None:
    assert parse_notification(load_fixture("s3-test-event.json")) == ()


@pytest.mark.parametrize(
    ("encoded", "key"),
    [
        (
            "foo-bar/Foo_Bar-2.0%2Blocal-py3-none-any.whl",
            "foo-bar/Foo_Bar-2.0+local-py3-none-any.whl",
        ),
        ("odd+folder/foo+1.0.tar.gz", "odd folder/foo 1.0.tar.gz"),
        ("caf%C3%A9/caf%C3%A9-1.0.tar.gz", "café/café-1.0.tar.gz"),
        ("a%2Bb%25/c.whl", "a+b%/c.whl"),
    ],
)
def test_keys_are_decoded(encoded: str, key: str) -> None:
    """S3 sends keys URL-encoded, with '+' for a space (the encodings above are S3's)."""
    notification = s3_notification(("ObjectCreated:Put", key))
    notification["Records"][0]["s3"]["object"]["key"] = encoded
    (event,) = parse_notification(notification)
    assert event.key == key


def test_sqs_batch() -> None:
    event = sqs_event(
        load_fixture("s3-put.json"), load_fixture("s3-test-event.json"), receive_count=3
    )
    first, second = messages_of(event)
    assert first.message_id == "message-0" and first.receive_count == 3
    assert [e.key for e in first.events] == ["foo/foo-1.0-py3-none-any.whl"]
    assert second.events == () and second.problem is None


def test_unreadable_sqs_body_is_a_problem_not_a_crash() -> None:
    event = sqs_event({})
    event["Records"][0]["body"] = "{not json"
    (message,) = messages_of(event)
    assert message.problem and "unreadable" in message.problem


def test_plain_s3_event_is_one_message() -> None:
    (message,) = messages_of(load_fixture("s3-put.json"))
    assert message.message_id == "s3-event" and len(message.events) == 1
