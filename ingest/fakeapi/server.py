"""Serve a FakeAdsApi over HTTP with the standard library's ThreadingHTTPServer."""

import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from ingest.fakeapi.app import FakeAdsApi

logger = logging.getLogger("xads.fakeapi")


class _Handler(BaseHTTPRequestHandler):
    """Hands every request to the server's FakeAdsApi; keeps connections alive."""

    protocol_version = "HTTP/1.1"
    server_version = "fake-ads-api"
    disable_nagle_algorithm = True  # headers and body are two writes: no delayed-ACK stall

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_DELETE = do_GET

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = self.server.api.handle(
            self.command, self.path, body, self.headers.get("Content-Type")
        )
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s %s", self.address_string(), format % args)


class FakeServer:
    """A FakeAdsApi listening on ``host:port`` (port 0: a free one); ``url`` tells where."""

    def __init__(self, api: FakeAdsApi, host: str = "127.0.0.1", port: int = 0) -> None:
        self.api = api
        self._httpd = ThreadingHTTPServer((host, port), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.api = api
        self.url = f"http://{host}:{self._httpd.server_address[1]}"
        self._thread: threading.Thread | None = None

    def serve_forever(self) -> None:
        """Serve in the calling thread until ``stop()``."""
        self._httpd.serve_forever(poll_interval=0.1)

    def start(self) -> "FakeServer":
        """Serve from a daemon thread."""
        self._thread = threading.Thread(target=self.serve_forever, name="fake-ads-api", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._httpd.shutdown()
        self._httpd.server_close()


def start_server(api: FakeAdsApi, host: str = "127.0.0.1", port: int = 0) -> FakeServer:
    """A FakeAdsApi served from a background thread."""
    return FakeServer(api, host, port).start()
