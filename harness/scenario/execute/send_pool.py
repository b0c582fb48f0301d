"""A pool of senders: the scenario's messages go out on the open-loop schedule, batched where a
batch keeps their meaning, several calls in flight, FIFO order per group kept.

The senders take turns as the *dispatcher*: the one whose turn it is walks the plan in sequence
order, waits until the next message is due (:class:`~harness.scenario.execute.send.Pacer`), takes along
every following message that is due already (up to a batch: ten entries, 256 KiB, one message
group), hands the turn on and sends that batch itself. Offloaded payloads are never batched (each needs its own upload);
they are sent one by one, each upload holding its share of the scenario's
:class:`~harness.scenario.execute.budget.ByteBudget`.

When every sender is busy, nobody takes the next message when it is due: it goes late, in a bigger
batch, with the next free sender. Their latency still starts at their *intended* send time
(``Sent.t_intended``), so the delay shows in the report instead of vanishing (no coordinated
omission), and :func:`send_summary` tells how far behind the schedule the sends went.

FIFO order: batches of one message group are sent one after the other (a sender holding a later
batch of a group waits for the earlier one to return), so order per group survives any pool size.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError
from hdrh.histogram import HdrHistogram

from harness.errors import HarnessError
from harness.payload.batch import InlineMessage, fits
from harness.scenario.execute.budget import ByteBudget
from harness.scenario.execute.send import Outgoing, Pacer, Sender
from harness.scenario.format.model import Send
from harness.scenario.judge.facts import Sent
from harness.scenario.judge.measure import summarize
from harness.scenario.judge.objectives import CONDITION, Objective, at_least, at_most

log = logging.getLogger(__name__)

DEFAULT_SENDERS = 4
# A burst's inline messages are built and hashed before the first send, up to this many message
# bytes: generating a payload holds the GIL (~0.1-0.3 ms for a small one), and done during the burst
# it slowed the senders and the receivers (harness wait) alike. Paced sends prepare each message
# before waiting for its due time, as before.
PREPARE_AHEAD_BYTES = 16 << 20
PREPARE_LEAD_SECONDS = 0.02  # paced sends: how long before its due time a message is built
BEHIND_RATIO = 0.95  # achieved < 95 % of the requested rate: the sender fell behind
BEHIND_LAG_SECONDS = 1.0  # or a message went out more than a second after its intended time
# The send-rate condition allows this much timing jitter over the whole send: a rate measured from
# the first to the last send of a short send (15 messages at 30 msg/s span 0.47 s) is otherwise
# missed by one message 25 ms late on a busy machine. Over a long send it is nothing.
RATE_TIMING_ALLOWANCE_S = 0.05


@dataclass(frozen=True)
class _Batch:
    items: tuple[tuple[Outgoing, InlineMessage | None], ...]  # None: offloaded, sent alone
    intended: tuple[float | None, ...]
    group: str | None
    ticket: int  # order of this batch among its group's batches


class _GroupTurns:
    """Batches of one message group go out one after the other, in dispatch order."""

    def __init__(self) -> None:
        self._next: dict[str | None, int] = {}
        self._cond = threading.Condition()

    def wait(self, group: str | None, ticket: int, stop: threading.Event) -> bool:
        if group is None:
            return True
        with self._cond:
            self._cond.wait_for(lambda: self._next.get(group, 0) == ticket or stop.is_set())
            return not stop.is_set()

    def done(self, group: str | None, ticket: int) -> None:
        if group is None:
            return
        with self._cond:
            self._next[group] = ticket + 1
            self._cond.notify_all()


class SendPool:
    """``senders`` threads taking turns as the dispatcher (leader/followers); see the module docstring.

    The thread whose turn it is waits until the next message is due, takes its batch, hands the turn
    on and sends the batch itself: no hand-off between the thread that woke up on time and the one
    that sends, so at a slow pace the pool adds no latency to a plain publish loop.
    """

    def __init__(self, sender: Sender, pacer: Pacer, senders: int = DEFAULT_SENDERS, budget: ByteBudget | None = None,
                 absorb: Callable[[BaseException, Sequence[str]], bool] | None = None):
        if senders < 1:
            raise ValueError("a send pool needs at least one sender")
        self.sender, self.pacer, self.senders = sender, pacer, senders
        # A failed publish that ``absorb`` owns (an injected fault: it counts the messages as not
        # sent) does not stop the pool; any other error does.
        self.absorb = absorb
        self.budget = budget or ByteBudget()
        self._stop = threading.Event()
        self._turns = _GroupTurns()
        self._error: BaseException | None = None
        self._lock = threading.Lock()  # the first error
        self._dispatch = threading.Lock()  # whose turn it is to take the next batch
        self._outgoing: Sequence[Outgoing] = ()
        self._next = 0
        self._tickets: dict[str | None, int] = {}
        self._ready: dict[int, InlineMessage | None] = {}  # seq -> prepared ahead (bursts)

    def send_all(self, outgoing: Sequence[Outgoing]) -> None:
        """Send every message; raises the first sender's error after stopping the others."""
        self._outgoing, self._next = outgoing, 0
        self._ready = self._prepare_ahead(outgoing) if not self.pacer.interval else {}
        threads = [threading.Thread(target=self._work_loop, daemon=True, name=f"send-{i}") for i in range(self.senders)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if self._error is not None:
            raise self._error

    def _take(self) -> _Batch | None:
        """The next batch, once its first message is due (called holding the dispatch turn)."""
        outgoing, i, n = self._outgoing, self._next, len(self._outgoing)
        if i >= n or self._stop.is_set():
            return None
        first = outgoing[i]
        if self.pacer.interval > PREPARE_LEAD_SECONDS and first.seq not in self._ready:
            # Paced: built shortly before it is due, not right after the previous send, whose call
            # and receipt it would slow (building holds the GIL) — that send's latency would grow.
            self.pacer.wait_for(first.seq - PREPARE_LEAD_SECONDS / self.pacer.interval)  # type: ignore[arg-type]
        # Built and hashed before waiting (as send_one does), so the work does not delay the send.
        prepared = self._prepared(first)
        self.pacer.wait_for(first.seq)
        items = [(first, prepared)]
        i += 1
        if prepared is not None:
            batch = [prepared]
            while i < n and self.pacer.is_due(outgoing[i].seq) and outgoing[i].group == first.group:
                nxt = self._prepared(outgoing[i])
                if nxt is None or not fits(batch, nxt):
                    break  # not batchable with these: it starts the next batch (prepared again then)
                batch.append(nxt)
                items.append((outgoing[i], nxt))
                i += 1
        self._next = i
        for o, _ in items:
            self._ready.pop(o.seq, None)
        ticket = self._tickets.get(first.group, 0)
        self._tickets[first.group] = ticket + 1
        intended = tuple(self.pacer.intended(o.seq) for o, _ in items)
        return _Batch(tuple(items), intended, first.group, ticket)

    def _prepare_ahead(self, outgoing: Sequence[Outgoing]) -> dict[int, InlineMessage | None]:
        ready: dict[int, InlineMessage | None] = {}
        held = 0
        for o in outgoing:
            if held >= PREPARE_AHEAD_BYTES:
                break
            ready[o.seq] = message = self.sender.prepare(o)
            held += message.message_bytes if message is not None else 0
        return ready

    def _prepared(self, o: Outgoing) -> InlineMessage | None:
        return self._ready[o.seq] if o.seq in self._ready else self.sender.prepare(o)

    def _work_loop(self) -> None:
        while not self._stop.is_set():
            try:
                with self._dispatch:
                    batch = self._take()
                if batch is None:
                    return
                if not self._turns.wait(batch.group, batch.ticket, self._stop):
                    return
                try:
                    self._send(batch)
                except (HarnessError, ClientError, BotoCoreError) as exc:
                    if self.absorb is None or not self.absorb(exc, [o.correlation_id for o, _ in batch.items]):
                        raise
                finally:
                    self._turns.done(batch.group, batch.ticket)
            except (HarnessError, ClientError, BotoCoreError) as exc:  # raised again in send_all's thread
                self._fail(exc)
            except Exception as exc:  # thread boundary: an unexpected error must reach the scenario, not vanish
                log.exception("sender %s crashed", threading.current_thread().name)
                self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        with self._lock:
            if self._error is None:
                self._error = exc
        self._stop.set()

    def _send(self, batch: _Batch) -> None:
        (first, prepared), *_ = batch.items
        if prepared is None:  # offloaded: its own upload, within the memory budget
            with self.budget.reserve(first.size):
                self.sender.send_one(first, intended=batch.intended[0])
            return
        pairs = [(o, m) for o, m in batch.items if m is not None]
        self.sender.send_batch(pairs, batch.intended)


@dataclass(frozen=True)
class SendSummary:
    """How the sends went against their schedule: the report's ``send`` section."""

    count: int
    senders: int
    requested_rate: float | None  # msg/s; None = as fast as possible
    achieved_rate: float | None  # msg/s between the first and the last send (None with one message)
    duration_s: float
    started_at: float | None  # epoch seconds of the first send
    lag: dict[str, float | int | None]  # actual − intended send time, ms (only with a rate)
    fell_behind: bool

    def as_dict(self) -> dict:
        return {
            "count": self.count,
            "senders": self.senders,
            "requested_rate": self.requested_rate,
            "achieved_rate": round(self.achieved_rate, 1) if self.achieved_rate is not None else None,
            "duration_s": round(self.duration_s, 3),
            "started_at": self.started_at,
            "lag_ms": self.lag,
            "fell_behind": self.fell_behind,
        }

    def note(self) -> str | None:
        if not self.fell_behind:
            return None
        return (
            f"the sender fell behind its schedule: {self.achieved_rate or 0:.1f} msg/s achieved of {self.requested_rate:g} "
            f"requested, sends up to {self.lag.get('max') or 0:.0f} ms late (latency is measured from the intended send "
            "times, so the delay is in the figures; the harness or the endpoint could not keep this rate here)"
        )


def allowed_rate(count: int, bound: float) -> float:
    """The lowest first-to-last rate of ``count`` sends that meets ``bound`` msg/s, the timing
    allowance granted: n sends span n - 1 intervals, at the bound (n - 1) / bound seconds."""
    intervals = max(1, count - 1)
    return intervals / (intervals / bound + RATE_TIMING_ALLOWANCE_S)


def send_summary(sent: Sequence[Sent], senders: int, rate: float | None) -> SendSummary:
    """Achieved against requested rate, and the lag behind the schedule, of what was sent."""
    lag = HdrHistogram(1, 3600 * 1_000_000, 3)
    for s in sent:
        if s.t_intended is not None:
            lag.record_value(max(1, int(round((s.t_send - s.t_intended) * 1_000_000))))
    times = sorted(s.t_send for s in sent)
    duration = times[-1] - times[0] if len(times) > 1 else 0.0
    # n messages span n - 1 intervals of the schedule
    achieved = (len(times) - 1) / duration if duration > 0 else None
    lag_ms = summarize(lag)
    behind = False
    if rate is not None and sent:
        slow = achieved is not None and achieved < allowed_rate(len(times), BEHIND_RATIO * rate)
        late = (lag_ms.get("max") or 0) > BEHIND_LAG_SECONDS * 1000
        behind = slow or late
    return SendSummary(len(sent), senders, rate, achieved, duration, times[0] if times else None, lag_ms, behind)


def send_objectives(send: Send, summary: SendSummary) -> list[Objective]:
    """The conditions a paced send promised (its rate and its schedule), judged: a missed one makes
    the scenario inconclusive, not failed (:mod:`harness.scenario.judge.objectives`)."""
    out: list[Objective] = []
    where = f"send {send.via} from {send.account}/{send.region}"
    if send.throughput is not None and summary.count > 1:
        bound = send.throughput.resolve(send.rate)
        if bound is not None:
            allowed = allowed_rate(summary.count, bound)
            label = ", ".join(x for x in (send.throughput.label(send.rate), f"first to last send, {RATE_TIMING_ALLOWANCE_S * 1000:g} ms allowed") if x)
            out.append(at_least("send rate", where, summary.achieved_rate, allowed, "msg/s", label,
                                kind=CONDITION, stated=send.throughput.stated, line=send.throughput.line or send.line))
    if send.lag_max is not None and summary.requested_rate is not None:
        worst = summary.lag.get("max")
        out.append(at_most("send lag", where, float(worst) / 1000 if isinstance(worst, (int, float)) else None, send.lag_max, "s",
                           kind=CONDITION, line=send.line, reason="no send had a schedule"))
    return out
