"""How often the fake API fails: a default rate, rates per account and per endpoint, and
spikes that raise the rate for a while.

A request fails with the highest rate that applies to it: the default, its account's, its
endpoint's and those of the active spikes that cover it.
"""

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Spike:
    """A raised error rate until ``until`` (epoch seconds), for one account and/or one
    endpoint, or for everything when both are None."""

    error_rate: float
    until: float
    account: str | None = None
    endpoint: str | None = None

    def covers(self, account: str | None, endpoint: str) -> bool:
        return self.account in (None, account) and self.endpoint in (None, endpoint)

    def as_json(self) -> dict:
        return asdict(self)


def check_rate(rate: object, what: str) -> float:
    """A rate between 0 and 1, or ValueError naming ``what``."""
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        raise ValueError(f"{what} must be a number between 0 and 1, got {rate!r}")
    return float(rate)


def _rates(mapping: object, what: str) -> dict[str, float]:
    if not isinstance(mapping, dict):
        raise ValueError(f"{what} must be an object of name to error rate")
    return {str(name): check_rate(rate, f"{what}[{name!r}]") for name, rate in mapping.items()}


class ErrorRates:
    """The error rate of each request; spikes can be started while serving (thread-safe)."""

    def __init__(
        self,
        default: float = 0.1,
        accounts: Mapping[str, float] | None = None,
        endpoints: Mapping[str, float] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.default = check_rate(default, "the error rate")
        self.accounts = _rates(dict(accounts or {}), "accounts")
        self.endpoints = _rates(dict(endpoints or {}), "endpoints")
        self._clock = clock
        self._spikes: list[Spike] = []
        self._lock = threading.Lock()

    def start_spike(
        self,
        error_rate: float,
        seconds: float,
        account: str | None = None,
        endpoint: str | None = None,
    ) -> Spike:
        """Raise the error rate of an account and/or endpoint (all when None) for a while."""
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
            raise ValueError(f"seconds must be a positive number, got {seconds!r}")
        spike = Spike(
            check_rate(error_rate, "error_rate"), self._clock() + seconds, account, endpoint
        )
        with self._lock:
            self._spikes.append(spike)
        return spike

    def active_spikes(self) -> list[Spike]:
        """The spikes still running (ended ones are forgotten)."""
        now = self._clock()
        with self._lock:
            self._spikes = [spike for spike in self._spikes if spike.until > now]
            return list(self._spikes)

    def rate_for(self, account: str | None, endpoint: str) -> float:
        """The share of requests of this account to this endpoint that fail."""
        candidates = [self.default, self.endpoints.get(endpoint, 0.0)]
        if account is not None:
            candidates.append(self.accounts.get(account, 0.0))
        candidates += [s.error_rate for s in self.active_spikes() if s.covers(account, endpoint)]
        return max(candidates)


def load_rates(default: float, config_path: str | Path | None = None) -> ErrorRates:
    """Error rates from ``--error-rate`` and an optional JSON file such as
    ``{"accounts": {"abc": 0.5}, "endpoints": {"GET /12/accounts/:account_id/campaigns": 0.3}}``."""
    if config_path is None:
        return ErrorRates(default)
    config = json.loads(Path(config_path).read_text(encoding="utf-8"))
    if not isinstance(config, dict) or set(config) - {"accounts", "endpoints"}:
        raise ValueError('the config must be an object with "accounts" and/or "endpoints"')
    return ErrorRates(default, config.get("accounts"), config.get("endpoints"))
