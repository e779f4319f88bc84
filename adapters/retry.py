"""What a failed send means (wait, retry, or give up) and how long to back off between tries.

Each platform adapter supplies a ``Classify`` function that reads its SDK's exceptions; the
``Pacer`` (adapters/outbound) acts on the verdict without knowing the platform:

- ``Wait(seconds)``: the platform's 429; try again once it has passed.
- ``"transient"``: a network blip, a timeout, a 5xx; try again after a backoff (``Backoff``).
- ``"permanent"``: chat not found, bot blocked, bad token, message too long, any other 4xx;
  trying again cannot help, so fail now.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class Wait:
    """The platform's rate limit (429): the same message may go after ``seconds``."""

    seconds: float


Verdict = Wait | Literal["transient", "permanent"]
Classify = Callable[[BaseException], Verdict]


@dataclass(frozen=True, slots=True)
class Backoff:
    """Capped exponential backoff with jitter for transient failures of one message.

    The defaults wait about 1, 2, 4, 8, 16, 30, 30, 30 and 30 seconds (each up to a quarter
    shorter, at random), so a message gets ten tries over roughly two and a half minutes, and
    never more than five minutes after its first try (a send can itself take up to the client's
    timeout). Why these values: a network blip or a platform deploy passes in seconds and the
    first retries catch it quickly; doubling keeps a longer incident from being hammered; the
    30 s cap keeps the wait between tries short enough that the reply still lands soon after
    the platform recovers; and after a few minutes the prospect's conversation has moved on, so
    the operator should hear about the lost reply rather than the lane holding it (and the
    chat's later replies) indefinitely. The jitter spreads the retries of many chats that
    failed together (one outage) so they do not all come back at the same instant.

    Attributes:
        first: seconds before the first retry.
        factor: each further wait is this many times the one before.
        cap: no wait is longer than this.
        attempts: tries of one message that may fail transiently (the first included) before
            it is given up.
        within: seconds after its first try by which a message is given up, whatever the count.
        jitter: each wait is shortened by a random fraction of it up to this (0: exact waits).
    """

    first: float = 1.0
    factor: float = 2.0
    cap: float = 30.0
    attempts: int = 10
    within: float = 300.0
    jitter: float = 0.25

    def delay(self, failures: int, rand: Callable[[], float] = random.random) -> float:
        """Seconds to wait after the ``failures``-th transient failure in a row (1-based)."""
        base = min(self.cap, self.first * self.factor ** (failures - 1))
        return base * (1 - self.jitter * rand())
