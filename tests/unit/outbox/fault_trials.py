"""The fault trials the outbox fault tests run (payments: test_outbox_faults.py; reminders:
test_reminder_faults.py; a question and its answer: test_merchant_events.py): a world whose every
port call ticks a `Fault`, run once with one call failing once, or with the process dying before it,
at seeded random points or at every point in turn."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from billing.services.errors import RetryableError


class Killed(BaseException):
    """The process dies here: nothing after this point of the attempt runs."""


@dataclass
class Fault:
    calls: int = 0
    at: int = 0  # 0: never
    kill: bool = False
    trace: list[str] = field(default_factory=list)

    def tick(self, what: str = "") -> None:
        self.calls += 1
        self.trace.append(what)
        if self.calls == self.at:
            if self.kill:
                raise Killed(f"killed before call {self.calls} ({what})")
            raise RetryableError(f"injected failure at call {self.calls} ({what})")


class FaultyWorld(Protocol):
    fault: Fault


@dataclass
class Trials:
    kills: int = 0
    duplicates: int = 0  # trials whose one allowed duplicate email happened (check() returned True)
    points: set[str] = field(default_factory=set)  # the port calls the faults hit


def random_trials(
    new_world: Callable[[], Any],
    run: Callable[[Any], object],
    check: Callable[[Any, Any], bool],
    *,
    calls: int,
    trace: list[str],
    seed: int,
    trials: int = 100,
) -> Trials:
    """`trials` worlds, each with one port call (chosen at random) that fails once, or before which
    the process dies (40 %); `check(world, label)` asserts the outcome and says if it was a duplicate."""
    rng = random.Random(seed)
    result = Trials()
    for trial in range(trials):
        world = new_world()
        world.fault.at = rng.randint(1, calls)
        world.fault.kill = rng.random() < 0.4
        result.kills += world.fault.kill
        result.points.add(trace[world.fault.at - 1])
        run(world)
        result.duplicates += check(world, (trial, world.fault.at, world.fault.kill))
    return result


def every_point(
    new_world: Callable[[], Any],
    run: Callable[[Any], object],
    check: Callable[[Any, Any], bool],
    *,
    calls: int,
    trace: list[str],
) -> int:
    """Every port call, once failing and once dying before it; returns how many were duplicates."""
    duplicates = 0
    for at in range(1, calls + 1):
        for kill in (False, True):
            world = new_world()
            world.fault.at, world.fault.kill = at, kill
            run(world)
            duplicates += check(world, (at, kill, trace[at - 1]))
    return duplicates
