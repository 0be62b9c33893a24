"""A burst of uploads to one project, delivered to `handle_event` as the stack's SQS event source
would deliver it (docs/requests.md, "Bursts"): for tests/indexer/test_burst.py and bench/burst.py.

Threads stand in for Lambda: `EventSource.concurrency` pollers each gather a batch from the queue
(from its first message until it holds `batch_size` messages or `window` seconds have passed,
as the batching window does) and invoke the handler with it, so at most that many invocations
run at once. A message the handler reports failed (or all of them, if it raises) becomes visible
again `visibility_timeout` later with its receive count raised; one that fails its
`max_receive_count`-th receive goes to the dead-letter queue.

Time is simulated: `scale` real seconds per simulated second, and while nothing is in flight
and only invisible messages are left, the clock skips to the next one (a 300 s visibility
timeout costs no real time). The store is the in-memory one behind a counting decorator, with
`latency` simulated seconds (x0.5 to 1.5, seeded) before each request, as S3 would take.
"""

from __future__ import annotations

import copy
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from counting_store import CountingStore, Request, Requests, by_kind
from distbuild import sdist, wheel
from eventjson import created, load_fixture
from packaging.utils import canonicalize_name
from storage_reads import put

from pyshelf import constants
from pyshelf.core import layout
from pyshelf.indexer.batch import handle_event
from pyshelf.storage import Storage
from pyshelf.storage.memory import MemoryStore

Handler = Callable[[dict[str, Any], Storage], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class EventSource:
    batch_size: int = constants.INDEXER_BATCH_SIZE
    window: float = constants.INDEXER_BATCHING_WINDOW_SECONDS
    concurrency: int = constants.INDEXER_MAX_CONCURRENCY
    max_receive_count: int = constants.QUEUE_MAX_RECEIVE_COUNT
    visibility_timeout: float = constants.QUEUE_VISIBILITY_TIMEOUT_SECONDS

    def __str__(self) -> str:
        return (
            f"batch size {self.batch_size}, window {self.window:g} s, "
            f"concurrency {self.concurrency}"
        )


@dataclass(frozen=True, slots=True)
class Burst:
    uploads: int = 1000
    seconds: float = 10.0
    project: str = "alpha"


class Clock:
    """Simulated seconds since start: real time / scale, plus the idle time skipped."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self._start = time.monotonic()
        self._skipped = 0.0

    def now(self) -> float:
        return (time.monotonic() - self._start) / self.scale + self._skipped

    def skip_to(self, moment: float) -> None:
        self._skipped += max(0.0, moment - self.now())

    def real(self, seconds: float) -> float:
        return max(0.0, seconds * self.scale)


@dataclass(slots=True)
class Message:
    message_id: str
    body: dict[str, Any]
    receives: int = 0
    visible_at: float = 0.0


@dataclass
class Outcome:
    """What a burst cost."""

    source: EventSource
    messages: int
    requests: list[Request] = field(default_factory=list)
    invocations: int = 0
    batch_sizes: list[int] = field(default_factory=list)
    receives: int = 0
    dead: list[str] = field(default_factory=list)
    first_sent: float = 0.0
    drained: float = 0.0  # simulated time when the last message was deleted

    @property
    def counts(self) -> Counter[str]:
        return by_kind(self.requests)

    @property
    def page_writes(self) -> int:
        """PUTs of project and root pages and their gzip variants."""
        return sum(1 for r in self.requests if r.kind == "PUT" and _is_page(r.key))

    @property
    def redeliveries(self) -> int:
        return self.receives - self.messages

    def moved(self) -> tuple[int, int]:
        return sum(r.received for r in self.requests), sum(r.sent for r in self.requests)


def _is_page(key: str) -> bool:
    return isinstance(layout.classify(key), layout.PageKey | layout.PageVariantKey)


class Queue:
    """The events queue with its dead-letter queue, one lock for all."""

    def __init__(self, clock: Clock, source: EventSource, outcome: Outcome) -> None:
        self.clock, self.source, self.outcome = clock, source, outcome
        self.cond = threading.Condition()
        self.waiting: list[Message] = []
        self.in_flight = 0
        self.producing = True

    def send(self, message: Message) -> None:
        with self.cond:
            message.visible_at = self.clock.now()
            self.waiting.append(message)
            self.cond.notify_all()

    def close(self) -> None:
        with self.cond:
            self.producing = False
            self.cond.notify_all()

    def finished(self) -> bool:
        return not (self.producing or self.waiting or self.in_flight)

    def take(self, limit: int) -> list[Message]:
        """Up to `limit` visible messages, received (call with the lock held)."""
        now = self.clock.now()
        taken = [m for m in self.waiting if m.visible_at <= now][:limit]
        for message in taken:
            self.waiting.remove(message)
            message.receives += 1
        self.in_flight += len(taken)
        self.outcome.receives += len(taken)
        return taken

    def first(self) -> list[Message] | None:
        """Block until some message is visible (None: the queue is done)."""
        with self.cond:
            while True:
                if self.finished():
                    return None
                taken = self.take(self.source.batch_size)
                if taken:
                    return taken
                if not (self.producing or self.in_flight):  # idle: skip to the next retry
                    self.clock.skip_to(min(m.visible_at for m in self.waiting))
                    continue
                self.cond.wait(timeout=0.05)

    def gather(self, batch: list[Message]) -> None:
        """Add messages to `batch` until it is full or the batching window has passed."""
        closes = self.clock.now() + self.source.window
        with self.cond:
            while len(batch) < self.source.batch_size and (left := closes - self.clock.now()) > 0:
                more = self.take(self.source.batch_size - len(batch))
                batch += more
                if not more:
                    self.cond.wait(timeout=min(self.clock.real(left), 0.05))

    def settle(self, batch: list[Message], failed: set[str]) -> None:
        with self.cond:
            self.in_flight -= len(batch)
            now = self.clock.now()
            for message in batch:
                if message.message_id not in failed:
                    continue
                if message.receives >= self.source.max_receive_count:
                    self.outcome.dead.append(message.message_id)
                else:
                    message.visible_at = now + self.source.visibility_timeout
                    self.waiting.append(message)
            if not self.waiting and not self.producing and not self.in_flight:
                self.outcome.drained = now
            self.cond.notify_all()


class SlowStore(MemoryStore):
    """The same objects as `inner`, each request taking `latency` (x0.5 to 1.5) first."""

    def __init__(self, inner: MemoryStore, clock: Clock, latency: float, seed: int) -> None:
        super().__init__(inner.bucket, inner.contents)
        self._clock, self._latency = clock, latency
        self._rng, self._rng_lock = random.Random(seed), threading.Lock()

    def _wait(self) -> None:
        if self._latency <= 0:
            return
        with self._rng_lock:
            factor = self._rng.uniform(0.5, 1.5)
        time.sleep(self._clock.real(self._latency * factor))

    def list(self, prefix: str) -> Any:
        self._wait()
        return super().list(prefix)

    def head(self, key: str) -> Any:
        self._wait()
        return super().head(key)

    def get(self, key: str) -> Any:
        self._wait()
        return super().get(key)

    def download(self, key: str, into: Any, *, if_match: str | None) -> Any:
        self._wait()
        return super().download(key, into, if_match=if_match)

    def put(self, key: str, body: bytes, **kwargs: Any) -> str:
        self._wait()
        return super().put(key, body, **kwargs)

    def delete(self, key: str) -> None:
        self._wait()
        super().delete(key)


def sqs_event(batch: list[Message]) -> dict[str, Any]:
    """The Lambda event for a batch (the real SQS record shape, with its receive counts)."""
    template = load_fixture("sqs-batch.json")["Records"][0]
    records = []
    for message in batch:
        record = copy.deepcopy(template)
        record["messageId"] = message.message_id
        record["body"] = json.dumps(message.body)
        record["attributes"]["ApproximateReceiveCount"] = str(message.receives)
        records.append(record)
    return {"Records": records}


def files(burst: Burst, rng: random.Random) -> list[tuple[str, bytes]]:
    """The burst's uploads: distinct files of one project, wheels and some sdists."""
    name = canonicalize_name(burst.project)
    made = []
    for i in range(burst.uploads):
        version = f"1.{i}"
        if rng.random() < 0.8:
            filename = f"{name}-{version}-py3-none-any.whl"
            made.append((filename, wheel(name, version)))
        else:
            made.append((f"{name}-{version}.tar.gz", sdist(name, version)))
    return [(layout.distribution_key(name, filename), data) for filename, data in made]


def run_burst(
    store: MemoryStore,
    seed: int,
    *,
    source: EventSource | None = None,
    burst: Burst | None = None,
    scale: float = 1.0,
    latency: float = 0.02,
    handler: Handler = handle_event,
) -> Outcome:
    """Upload the burst into `store` at seeded random moments and deliver its events."""
    source, burst = source or EventSource(), burst or Burst()
    rng = random.Random(seed)
    uploads = files(burst, rng)
    moments = sorted(rng.uniform(0, burst.seconds) for _ in uploads)
    clock = Clock(scale)
    requests = Requests()
    outcome = Outcome(source, len(uploads))
    queue = Queue(clock, source, outcome)
    slow = CountingStore(SlowStore(store, clock, latency, seed), requests)

    def produce() -> None:
        for number, ((key, data), moment) in enumerate(zip(uploads, moments, strict=True)):
            time.sleep(clock.real(moment - clock.now()))
            put(store, key, data)  # the uploader's PUT: not counted
            queue.send(Message(f"message-{number}", created(key)))
        queue.close()

    def poll() -> None:
        while (batch := queue.first()) is not None:
            queue.gather(batch)
            with queue.cond:
                outcome.invocations += 1
                outcome.batch_sizes.append(len(batch))
            queue.settle(batch, _invoke(handler, batch, slow))

    producer = threading.Thread(target=produce)
    pollers = [threading.Thread(target=poll) for _ in range(source.concurrency)]
    for thread in (producer, *pollers):
        thread.start()
    for thread in (producer, *pollers):
        thread.join()
    outcome.requests = requests.take()
    return outcome


def _invoke(handler: Handler, batch: list[Message], store: Storage) -> set[str]:
    """The message IDs that failed (all of them when the invocation raised)."""
    try:
        response = handler(sqs_event(batch), store)
    except Exception:
        return {message.message_id for message in batch}
    return {item["itemIdentifier"] for item in response["batchItemFailures"]}


def summary(outcome: Outcome) -> str:
    counts = outcome.counts
    received, sent = outcome.moved()
    kinds = ", ".join(f"{counts[kind]} {kind}" for kind in sorted(counts))
    return (
        f"{outcome.invocations} invocations (batches of {min(outcome.batch_sizes)} to "
        f"{max(outcome.batch_sizes)}), {outcome.redeliveries} redeliveries, "
        f"{len(outcome.dead)} dead letters, {outcome.page_writes} page writes, "
        f"{sum(counts.values())} requests ({kinds}), {received / 2**20:.1f} MiB in, "
        f"{sent / 2**20:.1f} MiB out; drained at {outcome.drained:.1f} s"
    )
