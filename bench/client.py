"""Per-call overhead of the capture hook on a requests.Session, with the ingest server down or
slow, in one run:

    .venv/bin/python bench/client.py [--calls 2000] [--block 20]

What is measured: the wall time of sequential GETs (one keep-alive connection per session) to
a fast local fake of the X Ads API running in its own process, through three sessions:
  plain  no hook;
  down   instrument_requests_session + an EnvelopeShipper whose ingest endpoint is a closed
         port (every send is refused, retried with backoff, then dropped);
  slow   the same with an ingest server (its own process) that sleeps 1 s per batch.
The calls run in short blocks, the three sessions taking turns in rotating order, so drift
and load from other processes fall on all three alike. Per session: the mean and median
wall time per call, and the calling thread's CPU time per call (thread_time: the hook's own
work, blind to other processes). The overhead of a hooked session is the interquartile mean
of its per-round differences with the plain session: spikes from other processes hit either
side of a difference at random, so trimming them removes noise without biasing the mean.
It includes everything the hook costs the caller: reading the body, the redacted capture,
queueing, and waiting for the interpreter while the shipper's thread encodes and sends.
Target: < 50 us. The last line reads ``overhead_down_us=<n> overhead_slow_us=<n>``.
"""

import argparse
import asyncio
import logging
import multiprocessing
import socket
import statistics
import sys
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

# Run as bench/client.py, bench/ is on sys.path and bench/ingest.py would shadow the package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ingest.client import EnvelopeShipper, instrument_requests_session

logging.getLogger("xads.capture").setLevel(logging.ERROR)  # the shippers fail on purpose

SESSIONS = ("plain", "down", "slow")
TRIM = 0.25  # a 25% trim each side: the interquartile mean
WARM_UP_CALLS = 200
SLOW_INGEST_SECONDS = 1.0
API_BODY = (
    b'{"data":[{"id":"8wk12","name":"Spring sale","entity_status":"ACTIVE",'
    b'"daily_budget_amount_local_micro":5000000,"currency":"USD"}],'
    b'"request":{"params":{"account_id":"abc1","count":"5"}},"next_cursor":null}'
)
API_RESPONSE = (
    b"HTTP/1.1 200 OK\r\n"
    b"content-type: application/json;charset=utf-8\r\n"
    b"x-transaction-id: 4f1c2a9e0b7d3c55\r\n"
    b"x-rate-limit-limit: 450\r\n"
    b"x-rate-limit-remaining: 449\r\n"
    b"x-rate-limit-reset: 1795000000\r\n"
    b"set-cookie: guest_id=v1%3A1795; Path=/; Secure\r\n"
    b"content-length: " + str(len(API_BODY)).encode() + b"\r\n\r\n" + API_BODY
)


# --- servers, each in its own process -------------------------------------------------------


class _FakeApiProtocol(asyncio.Protocol):
    """Answers every GET on a keep-alive connection with the same Ads API envelope."""

    def connection_made(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            _, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            self.transport.write(API_RESPONSE)


def _serve_fake_api(sock: socket.socket) -> None:
    async def serve() -> None:
        server = await asyncio.get_running_loop().create_server(_FakeApiProtocol, sock=sock)
        await server.serve_forever()

    asyncio.run(serve())


class _SlowIngestHandler(BaseHTTPRequestHandler):
    """Takes SLOW_INGEST_SECONDS per batch, then accepts it."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        time.sleep(SLOW_INGEST_SECONDS)
        body = b'{"accepted": 0, "rejected": []}'
        self.send_response(202)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def _serve_slow_ingest(sock: socket.socket) -> None:
    server = ThreadingHTTPServer(sock.getsockname(), _SlowIngestHandler, bind_and_activate=False)
    server.socket = sock
    server.serve_forever()


def start_server(serve: Callable[[socket.socket], None]) -> tuple[str, multiprocessing.Process]:
    """Listen on a loopback port here, serve it from a child process; the URL and the process."""
    sock = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    process = multiprocessing.get_context("fork").Process(target=serve, args=(sock,), daemon=True)
    process.start()
    sock.close()  # the child has its own copy
    return url, process


def closed_port_url() -> str:
    """A loopback URL nothing listens on: the ingest server is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


# --- measurement ----------------------------------------------------------------------------


def make_sessions(down_url: str, slow_url: str) -> tuple[dict, list[EnvelopeShipper]]:
    """The three sessions and the two shippers behind the hooked ones."""
    shippers = {
        "down": EnvelopeShipper(down_url, "bench"),
        "slow": EnvelopeShipper(slow_url, "bench"),
    }
    sessions = {"plain": requests.Session()}
    for name, shipper in shippers.items():
        sessions[name] = instrument_requests_session(requests.Session(), shipper)
    return sessions, shippers


def run_block(session: requests.Session, url: str, calls: int) -> tuple[float, float]:
    """Wall and calling-thread CPU seconds per call, over `calls` sequential GETs."""
    wall, cpu = time.perf_counter(), time.thread_time()
    for _ in range(calls):
        session.get(url)
    return (time.perf_counter() - wall) / calls, (time.thread_time() - cpu) / calls


def measure(sessions: dict, url: str, calls: int, block: int) -> dict[str, list[tuple]]:
    """(wall, cpu) per call of each block, per session; sessions take turns, order rotating."""
    for session in sessions.values():
        run_block(session, url, WARM_UP_CALLS)
    blocks: dict[str, list[tuple]] = {name: [] for name in SESSIONS}
    for round_number in range(max(1, calls // block)):
        shift = round_number % len(SESSIONS)
        for name in SESSIONS[shift:] + SESSIONS[:shift]:
            blocks[name].append(run_block(sessions[name], url, block))
    return blocks


def trimmed_mean(values: list[float]) -> float:
    """Mean without the TRIM share of lowest and highest values."""
    cut = int(len(values) * TRIM)
    ordered = sorted(values)
    return statistics.fmean(ordered[cut : len(ordered) - cut] or ordered)


def overhead_us(blocks: dict[str, list[tuple]], name: str) -> float:
    """Trimmed mean of the per-round wall-time differences with the plain session."""
    pairs = zip(blocks[name], blocks["plain"], strict=True)
    return trimmed_mean([(hooked[0] - plain[0]) * 1e6 for hooked, plain in pairs])


def report(blocks: dict[str, list[tuple]], shippers: dict[str, EnvelopeShipper], block: int):
    rounds = len(blocks["plain"])
    print(f"{rounds * block} calls per session, {rounds} rounds of {block}; per call:")
    print("         wall mean  wall median   caller CPU")
    for name in SESSIONS:
        wall = [item[0] * 1e6 for item in blocks[name]]
        cpu = statistics.fmean(item[1] for item in blocks[name]) * 1e6
        mean, median = statistics.fmean(wall), statistics.median(wall)
        print(f"  {name:<5} {mean:8.1f} us  {median:8.1f} us  {cpu:8.1f} us")
    for name, shipper in shippers.items():
        stats = " ".join(f"{key}={value}" for key, value in shipper.stats().items())
        print(f"  shipper {name}: {stats}")
    down, slow = overhead_us(blocks, "down"), overhead_us(blocks, "slow")
    print(f"overhead_down_us={down:.1f} overhead_slow_us={slow:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per session")
    parser.add_argument("--block", type=int, default=20, help="calls per turn")
    args = parser.parse_args()
    api_url, api = start_server(_serve_fake_api)
    slow_url, slow = start_server(_serve_slow_ingest)
    sessions, shippers = make_sessions(closed_port_url(), slow_url)
    try:
        url = api_url + "/12/accounts/abc1/campaigns"
        report(measure(sessions, url, args.calls, args.block), shippers, args.block)
    finally:
        for shipper in shippers.values():
            shipper.close(timeout=0)
        api.terminate()
        slow.terminate()


if __name__ == "__main__":
    main()
