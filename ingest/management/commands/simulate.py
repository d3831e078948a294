"""`manage.py simulate`: realistic X Ads API traffic through the real capture client.

Requests go to the fake API (``manage.py fake_ads_api``, or one started here on a free
port) from ``requests`` sessions instrumented with ``ingest.client``, whose shipper posts
the captured envelopes to the dashboard's ingest API. ``run_simulation`` is the whole run,
usable without the command line.
"""

import json
import math
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import requests
from django.core.management.base import BaseCommand, CommandError

from ingest.client import EnvelopeShipper, instrument_requests_session
from ingest.fakeapi import ErrorRates, FakeAdsApi, start_server
from ingest.fakeapi.traffic import PlannedCall, TrafficPlan, make_accounts
from ingest.tokens import issue_token

REQUESTS_PER_THREAD = 20  # a thread keeps up with this many requests per second, with margin
MAX_THREADS = 16
REQUEST_TIMEOUT_SECONDS = 10
FLUSH_TIMEOUT_SECONDS = 15
SPIKE = {"error_rate": 0.9, "seconds": 60}
SHIPPER_STATS = ("captured", "sent", "rejected", "dropped", "retries")


@dataclass(frozen=True)
class Simulation:
    """What to simulate: where to send, how much and for how long."""

    api_url: str
    ingest_url: str
    token: str
    accounts: int = 40
    rate: float = 50.0
    seconds: float = 600.0
    spike_after: float | None = None
    seed: int = 0
    progress_every: float = 5.0


@dataclass
class Outcome:
    """What a simulation sent, and what the shipper did with the captured envelopes."""

    by_status: Counter = field(default_factory=Counter)
    network_errors: int = 0
    shipper: dict = field(default_factory=dict)
    interrupted: bool = False

    @property
    def requests(self) -> int:
        return sum(self.by_status.values())

    @property
    def failed(self) -> int:
        return sum(n for status, n in self.by_status.items() if status >= 400)


class _Traffic:
    """Threads that send the planned calls at ``rate`` per second in total until stopped."""

    def __init__(self, simulation: Simulation, shipper: EnvelopeShipper, outcome: Outcome):
        self._simulation = simulation
        self._shipper = shipper
        self._outcome = outcome
        self._accounts = make_accounts(simulation.accounts, simulation.seed)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._tickets = 0
        self._started = time.monotonic()
        count = min(MAX_THREADS, max(1, math.ceil(simulation.rate / REQUESTS_PER_THREAD)))
        self._threads = [
            threading.Thread(target=self._run, args=(index,), name=f"simulate-{index}")
            for index in range(count)
        ]

    @property
    def busiest_account(self) -> str:
        return self._accounts[0]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _next_slot(self) -> float:
        """When the next request is due: tickets are spread evenly over time."""
        with self._lock:
            ticket, self._tickets = self._tickets, self._tickets + 1
        return self._started + ticket / self._simulation.rate

    def _run(self, index: int) -> None:
        plan = TrafficPlan(self._accounts, seed=f"{self._simulation.seed}:{index}")
        with requests.Session() as session:
            instrument_requests_session(session, self._shipper)
            while not self._stop.wait(max(0.0, self._next_slot() - time.monotonic())):
                self._send(session, plan.next_call())

    def _send(self, session: requests.Session, call: PlannedCall) -> None:
        url = self._simulation.api_url.rstrip("/") + call.path
        try:
            response = session.request(
                call.method, url, json=call.json, timeout=REQUEST_TIMEOUT_SECONDS
            )
        except requests.RequestException:
            with self._lock:
                self._outcome.network_errors += 1
            self._stop.wait(0.1)  # no busy loop while the API is unreachable
            return
        with self._lock:
            self._outcome.by_status[response.status_code] += 1


def start_spike(api_url: str, account: str) -> dict:
    """Ask the fake API for a spike of errors on one account (not captured)."""
    order = json.dumps({"account": account, **SPIKE}).encode()
    request = urllib.request.Request(
        api_url.rstrip("/") + "/_control/spike",
        data=order,
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as answer:
        return json.loads(answer.read())


def progress_line(elapsed: float, outcome: Outcome, shipper: dict) -> str:
    return (
        f"{elapsed:6.0f}s  {outcome.requests} requests ({outcome.failed} failed, "
        f"{outcome.network_errors} network errors) | shipper: sent {shipper.get('sent', 0)}, "
        f"queued {shipper.get('queued', 0)}, dropped {shipper.get('dropped', 0)}"
    )


def _watch(
    simulation: Simulation,
    traffic: _Traffic,
    shipper: EnvelopeShipper,
    outcome: Outcome,
    say: Callable[[str], None],
) -> None:
    """Report progress, start the spike when due, return when the time is up."""
    started = time.monotonic()
    spike_due = simulation.spike_after
    next_report = simulation.progress_every
    while (elapsed := time.monotonic() - started) < simulation.seconds:
        if spike_due is not None and elapsed >= spike_due:
            spike_due = None
            say(_spike(simulation.api_url, traffic.busiest_account))
        if elapsed >= next_report:
            next_report += simulation.progress_every
            say(progress_line(elapsed, outcome, shipper.stats()))
        time.sleep(min(0.2, simulation.seconds - elapsed))


def _spike(api_url: str, account: str) -> str:
    try:
        spike = start_spike(api_url, account)["spike"]
    except (OSError, ValueError, KeyError) as exc:
        return f"could not start a spike: {exc}"
    return f"spike: account {account} fails at {spike['error_rate']:.0%} for {SPIKE['seconds']}s"


def run_simulation(simulation: Simulation, say: Callable[[str], None] = print) -> Outcome:
    """Send the traffic, then flush the shipper; Ctrl-C ends the run early, cleanly."""
    if simulation.rate <= 0 or simulation.accounts < 1:
        raise ValueError("rate must be positive and accounts at least 1")
    outcome = Outcome()
    shipper = EnvelopeShipper(simulation.ingest_url, simulation.token, flush_interval_seconds=1)
    traffic = _Traffic(simulation, shipper, outcome)
    try:
        traffic.start()
        _watch(simulation, traffic, shipper, outcome, say)
    except KeyboardInterrupt:
        outcome.interrupted = True
        say("interrupted: stopping and sending what was captured")
    finally:
        traffic.stop()
        shipper.flush(FLUSH_TIMEOUT_SECONDS)
        shipper.close(FLUSH_TIMEOUT_SECONDS)
        outcome.shipper = shipper.stats()
    return outcome


def summary_lines(outcome: Outcome) -> list[str]:
    """What was sent and what the shipper did, for the end of a run."""
    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(outcome.by_status.items()))
    shipped = ", ".join(f"{name} {outcome.shipper.get(name, 0)}" for name in SHIPPER_STATS)
    ended = " before the interruption" if outcome.interrupted else ""
    return [
        f"sent {outcome.requests} requests{ended} ({outcome.failed} failed): {statuses or 'none'}",
        f"network errors: {outcome.network_errors}",
        f"shipper: {shipped}",
    ]


class Command(BaseCommand):
    help = "Drive the fake X Ads API through the capture client into the dashboard."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=40, help="ads accounts (40)")
        parser.add_argument("--rate", type=float, default=50.0, help="requests per second (50)")
        parser.add_argument("--minutes", type=float, default=10.0, help="how long to run (10)")
        parser.add_argument("--api", help="fake API base URL (default: start one on a free port)")
        parser.add_argument("--ingest-url", default="http://127.0.0.1:8000", help="dashboard URL")
        parser.add_argument("--token", help="ingest token (default: create one)")
        parser.add_argument("--spike-after-seconds", type=float, help="start an error spike then")
        parser.add_argument("--seed", type=int, default=0, help="seed of the traffic mix")
        parser.add_argument(
            "--error-rate", type=float, default=0.1, help="of the fake API started here (0.1)"
        )

    def handle(self, *args, **options):
        server = None
        api_url = options["api"]
        if api_url is None:
            server = self._start_fake_api(options["error_rate"], options["seed"])
            api_url = server.url
        simulation = Simulation(
            api_url=api_url,
            ingest_url=options["ingest_url"],
            token=options["token"] or self._new_token(),
            accounts=options["accounts"],
            rate=options["rate"],
            seconds=options["minutes"] * 60,
            spike_after=options["spike_after_seconds"],
            seed=options["seed"],
        )
        self.stdout.write(
            f"simulating {simulation.rate:g} requests/s over {simulation.accounts} accounts "
            f"for {options['minutes']:g} min: {api_url} -> {simulation.ingest_url}"
        )
        try:
            outcome = run_simulation(simulation, say=self.stdout.write)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        finally:
            if server is not None:
                server.stop()
        for line in summary_lines(outcome):
            self.stdout.write(line)

    def _start_fake_api(self, error_rate: float, seed: int):
        try:
            server = start_server(FakeAdsApi(ErrorRates(error_rate), seed=seed))
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"fake X Ads API on {server.url}")
        return server

    def _new_token(self) -> str:
        name = f"simulate {datetime.now(UTC):%Y-%m-%d %H:%M:%S}"
        self.stdout.write(f"created the ingest token {name!r}")
        return issue_token(name, ["ingest"])
