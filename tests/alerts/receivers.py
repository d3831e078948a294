"""Real local servers that alerts notify in tests: a webhook receiver and an SMTP server."""

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


class WebhookReceiver:
    """Records every POST; answers `fail_first` of them with 500, the rest with 200."""

    def __init__(self, fail_first: int = 0):
        self.received: list[tuple[int, dict, bytes]] = []  # (answer, headers, body)
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = 500 if len(receiver.received) < receiver.fail_first else 200
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver.received.append((status, headers, body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def delivered(self) -> list[tuple[dict, bytes]]:
        return [(headers, body) for status, headers, body in self.received if status == 200]

    def close(self):
        self.server.shutdown()


class MailSink:
    """An SMTP server on loopback that keeps the messages it receives."""

    def __init__(self):
        self.messages: list = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                sink.messages.append(envelope)
                return "250 OK"

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def close(self):
        self.controller.stop()
