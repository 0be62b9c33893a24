"""Bucket events: distributions and yank records reach the queue; the indexer's writes never do."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from cdk_support import Synth
from packaging.utils import NormalizedName, canonicalize_name

from pyshelf.constants import EVENT_SUFFIXES
from pyshelf.core import layout

pytestmark = pytest.mark.cdk

PROJECTS = [canonicalize_name(n) for n in ("foo", "whl", "tar-gz", "zip", "yank", "a.tgz")]
WHEEL = "foo-1.0-py3-none-any.whl"


def queue_rules(synth: Synth) -> list[dict[str, Any]]:
    _, props = synth.one("Custom::S3BucketNotifications")
    assert props["BucketName"] == {"Ref": "PackagesBucket"}
    rules: list[dict[str, Any]] = props["NotificationConfiguration"]["QueueConfigurations"]
    return rules


def suffix_of(rule: dict[str, Any]) -> str:
    (filter_rule,) = rule["Filter"]["Key"]["FilterRules"]
    assert filter_rule["Name"] == "suffix"
    value: str = filter_rule["Value"]
    return value


def test_created_and_removed_for_every_event_suffix(each_env: Synth) -> None:
    queue_id = each_env.logical_id("AWS::SQS::Queue", "Indexer/Events")
    rules = queue_rules(each_env)
    pairs = sorted((rule["Events"][0], suffix_of(rule)) for rule in rules)
    suffixes = [".whl", ".tar.gz", ".zip", ".tar.bz2", ".tgz", ".yank"]
    expected = sorted(itertools.product(["s3:ObjectCreated:*", "s3:ObjectRemoved:*"], suffixes))
    assert pairs == expected
    assert all(len(rule["Events"]) == 1 for rule in rules)
    assert all(rule["QueueArn"] == {"Fn::GetAtt": [queue_id, "Arn"]} for rule in rules)


def test_no_two_suffix_rules_overlap() -> None:
    """S3 rejects overlapping suffix filters for the same event type at deploy time."""
    for a, b in itertools.permutations(EVENT_SUFFIXES, 2):
        assert not a.endswith(b), (a, b)


def generated_keys(project: NormalizedName) -> list[str]:
    """Every key the indexer writes for a project (docs/layout.md)."""
    return [
        layout.metadata_key(layout.distribution_key(project, WHEEL)),
        *layout.page_keys(project),
        layout.facts_cache_key(project),
        layout.tombstone_key(project),
    ]


def test_no_generated_key_matches_a_notification_filter(dev: Synth) -> None:
    """No recursion: the indexer's own writes raise no event."""
    suffixes = {suffix_of(rule) for rule in queue_rules(dev)}
    written = [*layout.page_keys(None), *itertools.chain(*map(generated_keys, PROJECTS))]
    for key in written:
        assert not any(key.endswith(suffix) for suffix in suffixes), key


def test_uploads_and_yanks_match_a_notification_filter(dev: Synth) -> None:
    suffixes = {suffix_of(rule) for rule in queue_rules(dev)}
    uploads = [
        layout.distribution_key(canonicalize_name("foo"), name)
        for name in (WHEEL, "foo-1.0.tar.gz", "foo-1.0.zip", "foo-1.0.tar.bz2", "foo-1.0.tgz")
    ]
    for key in [*uploads, layout.yank_key(canonicalize_name("foo"), "1.0")]:
        assert any(key.endswith(suffix) for suffix in suffixes), key


def test_only_this_bucket_and_the_reconcile_rule_may_send_to_the_queue(dev: Synth) -> None:
    queue_id = dev.logical_id("AWS::SQS::Queue", "Indexer/Events")
    rule_id = dev.logical_id("AWS::Events::Rule", "Indexer/Reconcile")
    policies = [
        p["Properties"]
        for p in dev.resources("AWS::SQS::QueuePolicy").values()
        if p["Properties"]["Queues"] == [{"Ref": queue_id}]
    ]
    statements = [s for p in policies for s in p["PolicyDocument"]["Statement"]]
    senders = {
        s["Principal"]["Service"]: s["Condition"] for s in statements if s["Effect"] == "Allow"
    }
    assert senders == {
        "s3.amazonaws.com": {
            "ArnLike": {"aws:SourceArn": {"Fn::GetAtt": ["PackagesBucket", "Arn"]}}
        },
        "events.amazonaws.com": {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule_id, "Arn"]}}},
    }
