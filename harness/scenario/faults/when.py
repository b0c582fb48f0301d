"""When a fault strikes: a window (``from``/``for``, seconds after the scenario's first send), a
``count`` (at most that many times) and a ``probability`` (each chance it gets; ``seed`` repeats the
draws), and the thread-safe
:class:`Trigger` that decides each chance. Pure apart from the clock and the random draw, both
injectable."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from harness.scenario.format.units import read_duration
from harness.topology.sourced_yaml import Node

WHEN_KEYS = ("from", "for", "count", "probability", "seed")
PROBABILITY_HINT = "write a number between 0 and 1 or a percentage, e.g. probability: 0.2 or probability: 20%"


@dataclass(frozen=True)
class When:
    start: float = 0.0  # seconds after the scenario's first send ("from")
    duration: float | None = None  # "for"; None: until the scenario's wait ends
    count: int | None = None  # at most this many times (None: no limit)
    probability: float = 1.0
    seed: int | None = None  # of the probability's draws: the same seed strikes the same chances again

    def text(self) -> str:
        """``from 2s for 10s, 3 times, p=0.2`` (the report's words)."""
        parts = [f"from {self.start:g}s" + (f" for {self.duration:g}s" if self.duration is not None else " to the end")]
        if self.count is not None:
            parts.append(f"at most {self.count} time{'s' if self.count != 1 else ''}")
        if self.probability < 1:
            parts.append(f"probability {self.probability:g}")
        return ", ".join(parts)

    def as_dict(self) -> dict[str, float | int | None]:
        return {"from_s": self.start, "for_s": self.duration, "count": self.count, "probability": self.probability, "seed": self.seed}


def read_probability(node: Node) -> float | None:
    text = str(node.raw).strip() if node.kind == "scalar" and node.raw is not None else ""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        node.problem(f"{text or node.describe()} is not a probability; {PROBABILITY_HINT}")
        return None
    if not 0 < value <= 1:
        node.problem(f"{text} is out of range; {PROBABILITY_HINT}")
        return None
    return value


def read_when(f: dict[str, Node], default_count: int | None = None) -> When | None:
    """The ``from``, ``for``, ``count`` and ``probability`` fields of a fault entry (each optional)."""
    start = 0.0
    if "from" in f:
        if f["from"].raw in ("0", 0):
            start = 0.0
        else:
            value = read_duration(f["from"])
            if value is None:
                return None
            start = value
    duration = read_duration(f["for"]) if "for" in f else None
    if "for" in f and duration is None:
        return None
    count = f["count"].integer(min=1, max=1_000_000, hint="e.g. count: 3") if "count" in f else default_count
    if "count" in f and count is None:
        return None
    probability = read_probability(f["probability"]) if "probability" in f else 1.0
    seed = f["seed"].integer(min=0, hint="e.g. seed: 1") if "seed" in f else None
    if probability is None or ("seed" in f and seed is None):
        return None
    return When(start, duration, count, probability, seed)


class Trigger:
    """Decides, chance by chance, whether the fault strikes: inside its window, under its count, with
    its probability. :meth:`begin` starts the clock (the scenario's first send)."""

    def __init__(self, when: When, clock: Callable[[], float] = time.monotonic, rng: random.Random | None = None):
        self.when = when
        self._clock = clock
        self._rng = rng or random.Random(when.seed)
        self._lock = threading.Lock()
        self._t0: float | None = None
        self.chances = 0  # times it was asked
        self.fired = 0  # times it struck

    def begin(self, t0: float | None = None) -> None:
        with self._lock:
            if self._t0 is None:
                self._t0 = self._clock() if t0 is None else t0

    def elapsed(self) -> float | None:
        return None if self._t0 is None else self._clock() - self._t0

    def in_window(self) -> bool:
        elapsed = self.elapsed()
        if elapsed is None or elapsed < self.when.start:
            return False
        return self.when.duration is None or elapsed < self.when.start + self.when.duration

    def over(self) -> bool:
        """The window has passed, or the count is used up."""
        elapsed = self.elapsed()
        ended = elapsed is not None and self.when.duration is not None and elapsed >= self.when.start + self.when.duration
        return ended or (self.when.count is not None and self.fired >= self.when.count)

    def fire(self) -> bool:
        """One chance: True when the fault strikes now (counted)."""
        with self._lock:
            if not self.in_window() or (self.when.count is not None and self.fired >= self.when.count):
                return False
            self.chances += 1
            if self.when.probability < 1 and self._rng.random() >= self.when.probability:
                return False
            self.fired += 1
            return True
