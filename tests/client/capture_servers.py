"""Real local HTTP servers for the capture client tests: an ingest API and a fake X Ads API.

Both run http.server in a daemon thread on 127.0.0.1 with an ephemeral port. The ingest
server judges batches with the product's own pure validator (ingest.intake), so a record
the client builds is checked against the real contract.
"""

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from ingest.intake import BatchError, judge_batch

INGEST_TOKEN = "test-ingest-token"


def closed_port_url() -> str:
    """A URL on a loopback port nothing listens on: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class _QuietHandler(BaseHTTPRequestHandler):
    """Shared plumbing: no access log, JSON answers, the state object of the server."""

    @property
    def state(self):
        return self.server.state

    def log_message(self, format, *args):
        pass

    def read_body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def answer(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server:
    """Runs a handler class in a thread; `state` is the object handlers see."""

    def __init__(self, handler: type[BaseHTTPRequestHandler]):
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._httpd.state = self
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


# --- the ingest API ---------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A scripted answer. Status 202 means: serve the batch for real (token, validation)."""

    status: int = 202
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Post:
    """One POST the ingest server received."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    status: int

    @property
    def records(self) -> list[dict]:
        return json.loads(self.body)


class _IngestHandler(_QuietHandler):
    def do_POST(self):
        body = self.read_body()
        reply = self.state.arrived()
        time.sleep(reply.delay)
        self.state.gate.wait()
        if reply.status == 202:
            status, answer = self.state.serve(self.headers.get("Authorization"), body)
        else:
            status, answer = reply.status, {"error": f"scripted {reply.status}"}
        self.state.note(Post(self.path, dict(self.headers), body, time.monotonic(), status))
        self.answer(status, json.dumps(answer).encode(), reply.headers)


class IngestServer(_Server):
    """``POST /api/v1/ingest``: every answered POST is kept in ``posts``; ``script`` holds
    answers to give first (failures, delays); ``gate`` (set by default) can hold answers
    back; ``arrivals`` counts POSTs as they arrive."""

    def __init__(self):
        self.posts: list[Post] = []
        self.arrivals = 0
        self.script: deque[Reply] = deque()
        self.gate = threading.Event()
        self.gate.set()
        self.received = threading.Semaphore(0)
        self._lock = threading.Lock()
        super().__init__(_IngestHandler)

    def arrived(self) -> Reply:
        """Count a POST as it arrives (before any delay or gate); the reply to give it."""
        with self._lock:
            self.arrivals += 1
            return self.script.popleft() if self.script else Reply()

    def serve(self, authorization: str | None, body: bytes) -> tuple[int, dict]:
        if authorization != f"Bearer {INGEST_TOKEN}":
            return 401, {"error": "missing or bad token"}
        try:
            verdict = judge_batch(body)
        except BatchError as error:
            return error.status, {"error": error.message}
        return 202, {"accepted": verdict.accepted, "rejected": verdict.rejected}

    def note(self, post: Post) -> None:
        with self._lock:
            self.posts.append(post)
        self.received.release()

    def wait_posts(self, count: int, timeout: float = 10.0) -> list[Post]:
        """Wait until at least `count` POSTs were answered; return all of them."""
        deadline = time.monotonic() + timeout
        while len(self.posts) < count:
            if not self.received.acquire(timeout=max(0.0, deadline - time.monotonic())):
                raise AssertionError(f"{len(self.posts)} POSTs received, expected {count}")
        return list(self.posts)

    @property
    def stored(self) -> list[dict]:
        """Records of accepted batches, each id once (first copy wins, as the server does)."""
        by_id: dict[str, dict] = {}
        for post in self.posts:
            if post.status == 202:
                for record in post.records:
                    by_id.setdefault(record["id"], record)
        return list(by_id.values())


# --- a fake X Ads API ---------------------------------------------------------------------


@dataclass(frozen=True)
class ApiReply:
    """A scripted X Ads API answer; a dict or list body is sent as JSON."""

    status: int
    body: object = b""
    headers: dict[str, str] = field(default_factory=dict)


def ads_error(code: str, message: str, parameter: str | None = None) -> dict:
    """An X Ads API error envelope with one error, as the reference describes it."""
    error = {"code": code, "message": message}
    if parameter:
        error["parameter"] = parameter
    return {"errors": [error], "request": {"params": {}}}


class _AdsApiHandler(_QuietHandler):
    def do_GET(self):
        self.respond()

    def do_POST(self):
        self.read_body()
        self.respond()

    def respond(self):
        path, _, query = self.path.partition("?")
        reply = self.state.reply_for(path, dict(parse_qsl(query)))
        body = reply.body
        if isinstance(body, dict | list):
            body = json.dumps(body).encode()
        headers = {
            "x-transaction-id": f"tx-{self.state.count}",
            "set-cookie": self.state.SET_COOKIE,
            **reply.headers,
        }
        self.answer(reply.status, body, headers)


class FakeAdsApi(_Server):
    """Answers like the X Ads API: ``data`` with the ``request.params`` echo on success,
    scripted answers per path (``script[path]``, used first), an ``x-transaction-id`` and a
    secret Set-Cookie on every response. ``paths`` lists what was requested."""

    SET_COOKIE = "session=api-cookie-secret; HttpOnly"

    def __init__(self):
        self.script: dict[str, list[ApiReply]] = {}
        self.paths: list[str] = []
        self._lock = threading.Lock()
        super().__init__(_AdsApiHandler)

    @property
    def count(self) -> int:
        return len(self.paths)

    def reply_for(self, path: str, params: dict[str, str]) -> ApiReply:
        with self._lock:
            self.paths.append(path)
            scripted = self.script.get(path)
            if scripted:
                return scripted.pop(0)
        return self.success(path, params)

    def success(self, path: str, params: dict[str, str]) -> ApiReply:
        segments = urlsplit(path).path.strip("/").split("/")
        if "accounts" in segments[:-1]:
            params = {"account_id": segments[segments.index("accounts") + 1], **params}
        body = {"data": [{"id": "abc1", "name": "Ad account"}], "request": {"params": params}}
        return ApiReply(200, body, {"content-type": "application/json;charset=utf-8"})
