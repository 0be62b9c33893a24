"""The indexer driven by real-shaped event JSON: its logic on the in-memory store, the Lambda
entry point and the headers S3 serves on moto S3."""

from __future__ import annotations

import gc
import json
import logging
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pypi_simple
import pytest
from botocore.stub import Stubber
from distbuild import sdist, wheel
from eventjson import BUCKET, created, load_fixture, removed, s3_notification, sqs_event
from storage_reads import RecordingStore, body, files_of, keys_in, page, put, root_names, sha256

from pyshelf.core.facts_cache import FactsCache
from pyshelf.indexer import batch, file_facts
from pyshelf.indexer.batch import BatchFailed, handle_event
from pyshelf.storage.memory import MemoryStore
from pyshelf.storage.s3 import S3Store

sys.path.insert(0, str(Path(__file__).parents[2] / "lambdas" / "indexer"))
import handler as lambda_handler

FOO_WHEEL = wheel("foo", "1.0", ">=3.9")
FOO_SDIST = sdist("foo", "1.0", ">=3.9")
BAR_WHEEL = wheel("Foo_Bar", "2.0+local")


def test_must_show_scenario(s3_store: S3Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """On moto: the handler builds its own boto3 client."""
    store = s3_store
    uploads = {
        "foo/foo-1.0-py3-none-any.whl": FOO_WHEEL,
        "foo/foo-1.0.tar.gz": FOO_SDIST,
        "Foo_Bar-2.0+local-py3-none-any.whl": BAR_WHEEL,
        "notes/readme.txt": b"just notes",
    }
    for key, data in uploads.items():
        put(store, key, data)
    monkeypatch.setenv("PACKAGES_BUCKET", BUCKET)
    lambda_handler._store.cache_clear()  # a client of this test's mocked S3
    event = sqs_event(*(created(key) for key in uploads))
    assert lambda_handler.handler(event, None) == {"batchItemFailures": []}

    foo = files_of(store, "foo")
    assert set(foo) == {"foo-1.0-py3-none-any.whl", "foo-1.0.tar.gz"}
    assert foo["foo-1.0-py3-none-any.whl"]["hashes"]["sha256"] == sha256(FOO_WHEEL)
    assert foo["foo-1.0.tar.gz"]["hashes"]["sha256"] == sha256(FOO_SDIST)
    assert foo["foo-1.0.tar.gz"]["requires-python"] == ">=3.9"
    metadata = body(store, "foo/foo-1.0-py3-none-any.whl.metadata")
    assert metadata == b"Metadata-Version: 2.1\nName: foo\nVersion: 1.0\nRequires-Python: >=3.9\n\n"
    assert foo["foo-1.0-py3-none-any.whl"]["core-metadata"] == {"sha256": sha256(metadata)}

    bar = files_of(store, "foo-bar")
    assert set(bar) == {"Foo_Bar-2.0+local-py3-none-any.whl"}
    assert (
        bar["Foo_Bar-2.0+local-py3-none-any.whl"]["url"] == "Foo_Bar-2.0%2Blocal-py3-none-any.whl"
    )
    assert body(store, "foo-bar/Foo_Bar-2.0+local-py3-none-any.whl") == BAR_WHEEL
    assert "Foo_Bar-2.0+local-py3-none-any.whl" not in keys_in(store)  # moved, not copied
    assert root_names(store) == ["foo", "foo-bar"]
    assert body(store, "notes/readme.txt") == b"just notes"
    assert "notes" not in body(store, "index.html").decode()

    html = pypi_simple.ProjectPage.from_html("foo", body(store, "foo/index.html"), "https://x/foo/")
    assert {p.filename for p in html.packages} == set(foo)

    store.delete("foo-bar/Foo_Bar-2.0+local-py3-none-any.whl")
    event = sqs_event(removed("foo-bar/Foo_Bar-2.0+local-py3-none-any.whl"))
    assert lambda_handler.handler(event, None) == {"batchItemFailures": []}
    assert root_names(store) == ["foo"]
    assert not keys_in(store, "foo-bar/")  # pages and .metadata went with the last file


def test_headers_of_generated_objects(s3_store: S3Store) -> None:
    """On moto: the headers S3 serves."""
    store = s3_store
    put(store, "foo/foo-1.0-py3-none-any.whl", FOO_WHEEL)
    handle_event(created("foo/foo-1.0-py3-none-any.whl"), store)
    expected = {
        "foo/index.html": ("text/html; charset=utf-8", "public, max-age=10"),
        "foo/index.json": ("application/vnd.pypi.simple.v1+json", "public, max-age=10"),
        "index.html": ("text/html; charset=utf-8", "public, max-age=10"),
        "foo/foo-1.0-py3-none-any.whl.metadata": (
            "text/plain; charset=utf-8",
            "public, max-age=31536000, immutable",
        ),
    }
    for key, (content_type, cache_control) in expected.items():
        head = store.client.head_object(Bucket=BUCKET, Key=key)
        assert (head["ContentType"], head.get("CacheControl")) == (content_type, cache_control)
        assert "ContentEncoding" not in head


def test_second_delivery_writes_nothing_and_reads_no_file(store: MemoryStore) -> None:
    put(store, "foo/foo-1.0-py3-none-any.whl", FOO_WHEEL)
    event = created("foo/foo-1.0-py3-none-any.whl")
    handle_event(event, store)
    recording = RecordingStore(store)
    handle_event(event, recording)
    calls = recording.calls
    assert calls  # it did look
    assert not [c for c in calls if c.startswith(("put", "delete", "copy"))]
    assert "get foo/foo-1.0-py3-none-any.whl" not in calls
    assert "download foo/foo-1.0-py3-none-any.whl" not in calls


def test_test_event_and_foreign_keys_are_ignored(store: MemoryStore) -> None:
    put(store, "notes/readme.txt", b"x")
    event = sqs_event(
        load_fixture("s3-test-event.json"),
        created("notes/readme.txt", "foo/index.html", "foo/x.whl.metadata", "_pyshelf/x"),
    )
    assert handle_event(event, store) == {"batchItemFailures": []}
    assert keys_in(store) == {"notes/readme.txt"}


def test_events_from_another_bucket_are_ignored(store: MemoryStore) -> None:
    put(store, "foo/foo-1.0-py3-none-any.whl", FOO_WHEEL)
    event = s3_notification(("ObjectCreated:Put", "foo/foo-1.0-py3-none-any.whl"), bucket="other")
    handle_event(event, store)
    assert "foo/index.html" not in keys_in(store)


def test_keys_with_spaces_plus_and_unicode(store: MemoryStore) -> None:
    keys = ["odd folder/café-1.0.tar.gz", "spam+eggs/spam-1.0+a.b-py3-none-any.whl"]
    put(store, keys[0], sdist("café", "1.0"))
    put(store, keys[1], wheel("spam", "1.0+a.b"))
    assert handle_event(sqs_event(created(*keys)), store) == {"batchItemFailures": []}
    assert set(files_of(store, "spam")) == {"spam-1.0+a.b-py3-none-any.whl"}
    assert "café" not in root_names(store)  # café is not a valid project name: left alone
    assert root_names(store) == ["spam"]


def test_corrupt_wheel_is_not_listed(store: MemoryStore, caplog: pytest.LogCaptureFixture) -> None:
    put(store, "foo/foo-1.0-py3-none-any.whl", b"this is not a zip")
    put(store, "foo/foo-1.0.tar.gz", FOO_SDIST)
    with caplog.at_level(logging.WARNING, logger="pyshelf"):
        result = handle_event(created("foo/foo-1.0-py3-none-any.whl", "foo/foo-1.0.tar.gz"), store)
    assert result == {"batchItemFailures": []}
    assert set(files_of(store, "foo")) == {"foo-1.0.tar.gz"}
    assert "foo/foo-1.0-py3-none-any.whl.metadata" not in keys_in(store)
    assert "foo/foo-1.0-py3-none-any.whl: not listed: unreadable archive" in caplog.text


def test_a_file_too_large_to_inspect_is_hashed_and_listed_without_metadata(
    store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(file_facts, "MAX_INSPECTED_BYTES", len(FOO_WHEEL) - 1)
    put(store, "foo/foo-1.0-py3-none-any.whl", FOO_WHEEL)
    assert handle_event(created("foo/foo-1.0-py3-none-any.whl"), store) == {"batchItemFailures": []}
    entry = files_of(store, "foo")["foo-1.0-py3-none-any.whl"]
    assert entry["hashes"]["sha256"] == sha256(FOO_WHEEL)
    assert entry["size"] == len(FOO_WHEEL)
    assert entry["core-metadata"] is False
    assert "foo/foo-1.0-py3-none-any.whl.metadata" not in keys_in(store)


def test_overwritten_file_is_read_again(store: MemoryStore) -> None:
    key = "foo/foo-1.0-py3-none-any.whl"
    put(store, key, FOO_WHEEL)
    handle_event(created(key), store)
    replacement = wheel("foo", "1.0", ">=3.12")
    put(store, key, replacement)
    handle_event(created(key), store)
    entry = files_of(store, "foo")["foo-1.0-py3-none-any.whl"]
    assert entry["hashes"]["sha256"] == sha256(replacement)
    assert entry["requires-python"] == ">=3.12"
    assert b"Requires-Python: >=3.12" in body(store, key + ".metadata")


def test_misplaced_file_never_replaces_a_different_one(store: MemoryStore) -> None:
    put(store, "foo/foo-1.0-py3-none-any.whl", FOO_WHEEL)
    other = wheel("foo", "1.0", ">=3.11")
    put(store, "Foo/foo-1.0-py3-none-any.whl", other)
    handle_event(created("foo/foo-1.0-py3-none-any.whl", "Foo/foo-1.0-py3-none-any.whl"), store)
    assert body(store, "foo/foo-1.0-py3-none-any.whl") == FOO_WHEEL
    assert body(store, "Foo/foo-1.0-py3-none-any.whl") == other  # left for a human to resolve
    assert files_of(store, "foo")["foo-1.0-py3-none-any.whl"]["hashes"]["sha256"] == sha256(
        FOO_WHEEL
    )


def test_a_copy_in_a_subfolder_is_never_listed(store: MemoryStore) -> None:
    put(store, "foo/foo-1.0-py3-none-any.whl", FOO_WHEEL)
    put(store, "foo/sub/foo-1.0-py3-none-any.whl", wheel("foo", "1.0", ">=3.11"))
    handle_event(created("foo/foo-1.0-py3-none-any.whl", "foo/sub/foo-1.0-py3-none-any.whl"), store)
    files = page(store, "foo/index.json")["files"]
    assert [(f["filename"], f["hashes"]["sha256"]) for f in files] == [
        ("foo-1.0-py3-none-any.whl", sha256(FOO_WHEEL))
    ]
    assert "foo/sub/foo-1.0-py3-none-any.whl.metadata" not in keys_in(store)


def test_removal_of_a_misplaced_file_costs_nothing(store: MemoryStore) -> None:
    """Refiling deletes the misplaced key; the event of that delete must not regenerate."""
    recording = RecordingStore(store)
    handle_event(removed("Foo_Bar-2.0+local-py3-none-any.whl"), recording)
    assert recording.calls == []


def test_misplaced_identical_file_is_just_removed(store: MemoryStore) -> None:
    put(store, "foo/foo-1.0-py3-none-any.whl", FOO_WHEEL)
    put(store, "bar/foo-1.0-py3-none-any.whl", FOO_WHEEL)
    handle_event(created("bar/foo-1.0-py3-none-any.whl"), store)
    assert keys_in(store, "bar/") == set()


def test_misplaced_identical_file_with_another_etag_is_just_removed(store: MemoryStore) -> None:
    """Same bytes, different ETags (a multipart upload's ETag is not its MD5): compared by hash."""
    data = os.urandom(5 * 1024 * 1024) + b"tail"
    parts = [data[: 5 * 1024 * 1024], data[5 * 1024 * 1024 :]]
    store.put_parts("foo/foo-1.0.tar.gz", parts, content_type="application/octet-stream")
    put(store, "Foo/foo-1.0.tar.gz", data)
    put(store, "foo/foo-2.0.tar.gz", sdist("foo", "2.0"))  # listed: the facts cache is kept
    assert store.head("Foo/foo-1.0.tar.gz") != store.head("foo/foo-1.0.tar.gz")
    handle_event(created("Foo/foo-1.0.tar.gz", "foo/foo-2.0.tar.gz"), store)
    assert keys_in(store, "Foo/") == set()
    cache = FactsCache.loads(body(store, "_pyshelf/projects/foo.json"))
    assert cache.files["foo-1.0.tar.gz"].facts.sha256 == sha256(data)  # random bytes: rejected


def test_yank_record_marks_the_release(store: MemoryStore) -> None:
    put(store, "foo/foo-1.0-py3-none-any.whl", FOO_WHEEL)
    put(store, "foo/foo-1.0.tar.gz", FOO_SDIST)
    put(store, "foo/foo-2.0.tar.gz", sdist("foo", "2.0"))
    put(store, "foo/1.0.yank", b"security hole <CVE-1>\n")
    handle_event(created(*sorted(keys_in(store, "foo/"))), store)
    files = files_of(store, "foo")
    assert files["foo-1.0-py3-none-any.whl"]["yanked"] == "security hole <CVE-1>"
    assert files["foo-1.0.tar.gz"]["yanked"] == "security hole <CVE-1>"
    assert "yanked" not in files["foo-2.0.tar.gz"]
    assert 'data-yanked="security hole &lt;CVE-1&gt;"' in body(store, "foo/index.html").decode()

    store.delete("foo/1.0.yank")
    handle_event(removed("foo/1.0.yank"), store)
    assert "yanked" not in files_of(store, "foo")["foo-1.0.tar.gz"]


def test_failures_are_reported_per_message(
    store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(store, "foo/foo-1.0.tar.gz", FOO_SDIST)
    put(store, "bar/bar-1.0.tar.gz", sdist("bar", "1.0"))
    original = store.put

    def failing_put(key: str, data: bytes, **kwargs: object) -> str:
        if key.startswith("bar/"):
            raise RuntimeError("simulated S3 outage for bar/")
        return original(key, data, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "put", failing_put)
    event = sqs_event(created("foo/foo-1.0.tar.gz"), created("bar/bar-1.0.tar.gz"))
    assert handle_event(event, store) == {"batchItemFailures": [{"itemIdentifier": "message-1"}]}
    assert set(files_of(store, "foo")) == {"foo-1.0.tar.gz"}
    monkeypatch.undo()
    # the retry (a redelivery) repairs bar and re-checks the root
    assert handle_event(sqs_event(created("bar/bar-1.0.tar.gz"), receive_count=2), store) == {
        "batchItemFailures": []
    }
    assert root_names(store) == ["bar", "foo"]


def test_plain_s3_event_failure_raises_for_retry(
    store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(store, "foo/foo-1.0.tar.gz", FOO_SDIST)
    monkeypatch.setattr(store, "put", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("down")))
    with pytest.raises(BatchFailed):
        handle_event(created("foo/foo-1.0.tar.gz"), store)


def test_unreadable_message_is_dropped_not_retried(store: MemoryStore) -> None:
    event = sqs_event({})
    event["Records"][0]["body"] = "{not json"
    assert handle_event(event, store) == {"batchItemFailures": []}


def test_crash_between_cache_and_root_is_repaired_by_the_retry(
    store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The facts cache (which puts a project in the root) is written, then the invocation dies
    before the root: the redelivered message must still fix the root."""
    put(store, "foo/foo-1.0.tar.gz", FOO_SDIST)
    monkeypatch.setattr(batch, "regenerate_root", lambda _store: (_ for _ in ()).throw(OSError()))
    event = sqs_event(created("foo/foo-1.0.tar.gz"))
    assert handle_event(event, store)["batchItemFailures"] == [{"itemIdentifier": "message-0"}]
    monkeypatch.undo()
    assert "index.json" not in keys_in(store)
    handle_event(sqs_event(created("foo/foo-1.0.tar.gz"), receive_count=2), store)
    assert root_names(store) == ["foo"]
    assert page(store, "foo/index.json")["name"] == "foo"


KVS_ARN = "arn:aws:cloudfront::123456789012:key-value-store/0123abcd-0123-4567-89ab-0123456789ab"


def test_with_kvs_arn_the_handler_keeps_the_private_set(
    s3_store: S3Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The handler's own KeyValueStore client (stubbed: no network) adds a new project with
    If-Match on the ETag it read, before the project's pages are written."""
    monkeypatch.setenv("PACKAGES_BUCKET", BUCKET)
    monkeypatch.setenv("KVS_ARN", KVS_ARN)
    lambda_handler._store.cache_clear()
    lambda_handler._project_set.cache_clear()
    project_set = lambda_handler._project_set(KVS_ARN)
    assert lambda_handler._project_set(KVS_ARN) is project_set  # one client per container
    client = project_set.store.client  # type: ignore[attr-defined]
    counts = {"ItemCount": 1, "TotalSizeInBytes": 10}
    described = {**counts, "KvsARN": KVS_ARN, "Created": datetime.now(UTC), "ETag": "E1"}
    put(s3_store, "foo/foo-1.0.tar.gz", FOO_SDIST)
    with Stubber(client) as stubber:
        stubber.add_response("describe_key_value_store", described, {"KvsARN": KVS_ARN})
        stubber.add_client_error("get_key", "ResourceNotFoundException", http_status_code=404)
        expected = {
            "KvsARN": KVS_ARN,
            "IfMatch": "E1",
            "Puts": [{"Key": "project:foo", "Value": "live"}],
            "Deletes": [],
        }
        stubber.add_response("update_keys", {**counts, "ETag": "E2"}, expected)
        event = sqs_event(created("foo/foo-1.0.tar.gz"))
        assert lambda_handler.handler(event, None) == {"batchItemFailures": []}
        stubber.assert_no_pending_responses()
    assert root_names(s3_store) == ["foo"]
    lambda_handler._project_set.cache_clear()


def test_without_kvs_arn_no_store_client_is_built(
    store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KVS_ARN", raising=False)
    monkeypatch.setenv("PACKAGES_BUCKET", BUCKET)

    def no_kvs(arn: str) -> None:
        raise AssertionError(f"a KeyValueStore client was built for {arn}")

    monkeypatch.setattr(lambda_handler, "_project_set", no_kvs)
    monkeypatch.setattr(lambda_handler, "_store", lambda bucket: store)
    put(store, "foo/foo-1.0.tar.gz", FOO_SDIST)
    assert lambda_handler.handler(sqs_event(created("foo/foo-1.0.tar.gz")), None) == {
        "batchItemFailures": []
    }
    assert root_names(store) == ["foo"]


def test_the_handler_module_does_not_import_the_store_client() -> None:
    """Importing the handler (a cold start) leaves the KeyValueStore client module unloaded."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import handler; "
        "print('pyshelf.access.cloudfront' in sys.modules, 'pyshelf.indexer' in sys.modules)"
    )
    folder = Path(__file__).parents[2] / "lambdas" / "indexer"
    result = subprocess.run(
        [sys.executable, "-c", code, str(folder)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "PACKAGES_BUCKET": BUCKET, "KVS_ARN": KVS_ARN},
    )
    assert result.stdout.split() == ["False", "True"]


def test_a_key_with_an_empty_segment_is_not_listed(
    store: MemoryStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    put(store, "foo/foo-1.0-py3-none-any.whl", FOO_WHEEL)
    put(store, "foo//foo-1.1-py3-none-any.whl", wheel("foo", "1.1"))
    event = created("foo/foo-1.0-py3-none-any.whl", "foo//foo-1.1-py3-none-any.whl")
    assert handle_event(event, store)["batchItemFailures"] == []
    assert list(files_of(store, "foo")) == ["foo-1.0-py3-none-any.whl"]
    assert "foo//foo-1.1-py3-none-any.whl" in keys_in(store)  # left alone
    assert "foo//foo-1.1-py3-none-any.whl: ignored: " in caplog.text


class LambdaContext:
    """The part of Lambda's context the handler reads: the time left."""

    def __init__(self, millis: int) -> None:
        self.millis = millis

    def get_remaining_time_in_millis(self) -> int:
        return self.millis


def test_the_handler_hands_on_what_it_has_no_time_for_to_its_queue(
    s3_store: S3Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the Lambda context's remaining time (10 s) and `QUEUE_URL`: the first project starts
    (one always does), the second goes to the queue as a continuation; no message fails."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = sqs.create_queue(QueueName="events")["QueueUrl"]
    monkeypatch.setenv("PACKAGES_BUCKET", BUCKET)
    monkeypatch.setenv("QUEUE_URL", url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    lambda_handler._store.cache_clear()
    lambda_handler._requeue.cache_clear()
    put(s3_store, "foo/foo-1.0.tar.gz", FOO_SDIST)
    put(s3_store, "foo-bar/Foo_Bar-2.0+local-py3-none-any.whl", BAR_WHEEL)
    event = sqs_event(
        created("foo/foo-1.0.tar.gz"), created("foo-bar/Foo_Bar-2.0+local-py3-none-any.whl")
    )
    context = LambdaContext(10_000)
    assert lambda_handler.handler(event, context) == {"batchItemFailures": []}
    assert root_names(s3_store) == ["foo"]  # sorted: foo before foo-bar

    (message,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert json.loads(message["Body"]) == {
        "pyshelf": "continue",
        "projects": [
            # foo was indexed: its page for people is left to the follow-up
            {"name": "foo", "keys": [], "listing": False, "gone": [], "people": True},
            {
                "name": "foo-bar",
                "keys": ["foo-bar/Foo_Bar-2.0+local-py3-none-any.whl"],
                "listing": False,
                "gone": [],
            },
        ],
    }
    assert s3_store.head("-/project/foo/index.html") is None
    again = {"Records": [{**event["Records"][0], "body": message["Body"], "messageId": "m2"}]}
    assert lambda_handler.handler(again, LambdaContext(100_000)) == {"batchItemFailures": []}
    assert root_names(s3_store) == ["foo", "foo-bar"]
    assert s3_store.head("-/project/foo/index.html") is not None
    (last,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert json.loads(last["Body"])["projects"] == [
        {"name": "foo-bar", "keys": [], "listing": False, "gone": [], "people": True}
    ]
    lambda_handler._requeue.cache_clear()


def test_the_batch_runs_with_the_cyclic_gc_paused_and_restores_it(
    store: MemoryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    real = batch._handle

    def spy(*args: Any, **kwargs: Any) -> dict[str, Any]:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(batch, "_handle", spy)
    assert gc.isenabled()
    assert handle_event({"Records": []}, store) == {"batchItemFailures": []}
    assert seen == [False]
    assert gc.isenabled()
