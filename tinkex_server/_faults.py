"""The `--faults` grammar (parsed purely into a `FaultSpec`) and the seeded per-request fault decision.

Grammar: comma-separated ``key=value`` items, whitespace ignored, each key at most once::

    5xx=RATE              answer 503 {"detail": "injected fault"} instead of handling the request
    429=RATE[@DURATION]   answer 429 with Retry-After (default 1s); never on retrieve_future, where
                          clients up to 0.20 treat 429 as fatal
    drop=RATE             handle the request, then cut the connection before the body is sent
                          (the operation took effect; exercises client retries + server dedupe)
    delay=RATE@DURATION   sleep DURATION before handling
    expire=RATE           retrieve_future answers 410 and forgets the future
    pending=408|try_again how a pending long-poll answers (default 408)
    seed=INT              seed of the fault dice (default 0), so a run is reproducible

RATE is a probability in [0, 1]; DURATION is a number with unit ``ms`` or ``s`` (bare = seconds).
Example: ``5xx=0.1,429=0.05,drop=0.02,delay=0.1@200ms,expire=0.05,seed=1``. Faults never touch
``/api/v1/healthz`` (readiness) or the signed storage route.
"""

from __future__ import annotations

import random
import threading
from enum import StrEnum

import attrs

__all__ = [
    "DEFAULT_429_RETRY_AFTER_S",
    "FaultAction",
    "FaultDice",
    "FaultSpec",
    "PendingStyle",
    "decide_fault",
    "parse_faults",
]

# 1 s is the smallest whole-second Retry-After and the 0.7.0 client's own back-off after a sampling 429.
DEFAULT_429_RETRY_AFTER_S = 1.0


class PendingStyle(StrEnum):
    """How retrieve_future signals "not ready yet": both are understood by the official client."""

    HTTP_408 = "408"
    TRY_AGAIN = "try_again"


def _rate(_inst: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"faults: {attribute.name} rate must be within [0, 1], got {value}")


def _non_negative(_inst: object, attribute: attrs.Attribute[float], value: float) -> None:
    if value < 0:
        raise ValueError(f"faults: {attribute.name} must be >= 0, got {value}")


@attrs.frozen
class FaultSpec:
    """Parsed `--faults`; all rates 0 means "no faults".

    Example::

        parse_faults("5xx=0.1,seed=3") == FaultSpec(rate_5xx=0.1, seed=3)
    """

    rate_5xx: float = attrs.field(default=0.0, validator=_rate)
    rate_429: float = attrs.field(default=0.0, validator=_rate)
    retry_after_429_s: float = attrs.field(default=DEFAULT_429_RETRY_AFTER_S, validator=_non_negative)
    rate_drop: float = attrs.field(default=0.0, validator=_rate)
    rate_delay: float = attrs.field(default=0.0, validator=_rate)
    delay_s: float = attrs.field(default=0.0, validator=_non_negative)
    rate_expire: float = attrs.field(default=0.0, validator=_rate)
    pending: PendingStyle = PendingStyle.HTTP_408
    seed: int = 0

    @property
    def any_http_fault(self) -> bool:
        """True when some fault can hit an ordinary request."""
        return any(r > 0 for r in (self.rate_5xx, self.rate_429, self.rate_drop, self.rate_delay))


def _parse_duration(text: str, item: str) -> float:
    t = text.strip().lower()
    try:
        if t.endswith("ms"):
            return float(t[:-2]) / 1000.0
        if t.endswith("s"):
            return float(t[:-1])
        return float(t)
    except ValueError:
        raise ValueError(f"faults: bad duration {text!r} in {item!r} (use e.g. 200ms or 1.5s)") from None


def _parse_rate(text: str, item: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"faults: bad rate {text!r} in {item!r} (a probability such as 0.05)") from None


def parse_faults(text: str | None) -> FaultSpec:
    """Parse a `--faults` string (see the module docstring); raises ValueError naming the bad item.

    Example::

        parse_faults("429=0.5@2s,delay=1@200ms").delay_s  # -> 0.2
    """
    if text is None or not text.strip():
        return FaultSpec()
    kw: dict[str, object] = {}
    seen: set[str] = set()
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        key, sep, value = item.partition("=")
        key, value = key.strip().lower(), value.strip()
        if not sep or not value:
            raise ValueError(f"faults: expected key=value, got {item!r}")
        if key in seen:
            raise ValueError(f"faults: {key!r} given twice")
        seen.add(key)
        rate_text, at, extra = value.partition("@")
        if key == "5xx":
            kw["rate_5xx"] = _parse_rate(value, item)
        elif key == "429":
            kw["rate_429"] = _parse_rate(rate_text, item)
            if at:
                kw["retry_after_429_s"] = _parse_duration(extra, item)
        elif key == "drop":
            kw["rate_drop"] = _parse_rate(value, item)
        elif key == "delay":
            if not at:
                raise ValueError(f"faults: delay needs RATE@DURATION, got {item!r}")
            kw["rate_delay"] = _parse_rate(rate_text, item)
            kw["delay_s"] = _parse_duration(extra, item)
        elif key == "expire":
            kw["rate_expire"] = _parse_rate(value, item)
        elif key == "pending":
            try:
                kw["pending"] = PendingStyle(value.lower())
            except ValueError:
                raise ValueError(f"faults: pending must be 408 or try_again, got {value!r}") from None
        elif key == "seed":
            try:
                kw["seed"] = int(value)
            except ValueError:
                raise ValueError(f"faults: seed must be an integer, got {value!r}") from None
        else:
            raise ValueError(
                f"faults: unknown key {key!r} (known: 5xx, 429, drop, delay, expire, pending, seed)"
            )
    return FaultSpec(**kw)  # type: ignore[arg-type]


@attrs.frozen
class FaultAction:
    """What to do to one request: at most one of the answers, plus an optional delay first."""

    delay_s: float = 0.0
    status: int | None = None  # 503 or 429: answer this instead of handling
    retry_after_s: float | None = None
    drop: bool = False


NO_FAULT = FaultAction()


def decide_fault(spec: FaultSpec, draws: tuple[float, float, float, float]) -> FaultAction:
    """Pure decision from four uniform draws in [0, 1): (delay, 5xx, 429, drop), in that order.

    Example::

        decide_fault(FaultSpec(rate_5xx=0.5), (0.9, 0.1, 0.9, 0.9)).status  # -> 503
    """
    d_delay, d_5xx, d_429, d_drop = draws
    delay = spec.delay_s if d_delay < spec.rate_delay else 0.0
    if d_5xx < spec.rate_5xx:
        return FaultAction(delay_s=delay, status=503)
    if d_429 < spec.rate_429:
        return FaultAction(delay_s=delay, status=429, retry_after_s=spec.retry_after_429_s)
    if d_drop < spec.rate_drop:
        return FaultAction(delay_s=delay, drop=True)
    return FaultAction(delay_s=delay) if delay else NO_FAULT


class FaultDice:
    """The seeded random source of one server; thread-safe. The only state around `decide_fault`.

    Example::

        dice = FaultDice(parse_faults("5xx=0.1,seed=1")); action = dice.roll()
    """

    def __init__(self, spec: FaultSpec) -> None:
        self.spec = spec
        self._rng = random.Random(spec.seed)
        self._lock = threading.Lock()

    def roll(self) -> FaultAction:
        """Decide the fault of the next ordinary request."""
        if not self.spec.any_http_fault:
            return NO_FAULT
        with self._lock:
            draws = (self._rng.random(), self._rng.random(), self._rng.random(), self._rng.random())
        return decide_fault(self.spec, draws)

    def roll_expire(self) -> bool:
        """Decide whether this retrieve_future answers 410 (an injected expired future)."""
        if self.spec.rate_expire <= 0:
            return False
        with self._lock:
            return self._rng.random() < self.spec.rate_expire
