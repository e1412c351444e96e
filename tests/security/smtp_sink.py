"""A tiny SMTP server on loopback that answers as told, for real SMTP error codes.

Django's SMTP backend talks to it over a real socket, so a 550 or a 451 arrives as the
same smtplib exception a real mail server would cause.
"""

import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class _Handler(socketserver.StreamRequestHandler):
    server: "_Server"

    def handle(self) -> None:
        reply = self.wfile.write
        reply(b"220 sink ready\r\n")
        while line := self.rfile.readline():
            command = line[:4].upper()
            if command in {b"EHLO", b"HELO"}:
                reply(b"250 sink\r\n")
            elif command == b"RCPT":
                reply(self.server.sink.rcpt_reply + b"\r\n")
            elif command == b"DATA":
                reply(b"354 go ahead\r\n")
                data = b"".join(iter(self.rfile.readline, b".\r\n"))
                self.server.sink.messages.append(data)
                reply(b"250 queued\r\n")
                if self.server.sink.drop_after == len(self.server.sink.messages):
                    return  # the server goes away mid-batch
            elif command == b"QUIT":
                reply(b"221 bye\r\n")
                return
            elif command in {b"MAIL", b"RSET", b"NOOP"}:
                reply(b"250 OK\r\n")
            else:
                reply(b"502 not implemented\r\n")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    sink: "SmtpSink"


class SmtpSink:
    def __init__(self, *, rcpt_reply: bytes = b"250 OK", drop_after: int | None = None) -> None:
        self.rcpt_reply = rcpt_reply
        self.drop_after = drop_after
        self.messages: list[bytes] = []

    def mailer(self) -> dict[str, Any]:
        """A MAILERS entry that sends to this sink over plain SMTP."""
        return {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 5, "use_tls": False},
        }

    port: int


@contextmanager
def smtp_sink(**kwargs: Any) -> Iterator[SmtpSink]:
    sink = SmtpSink(**kwargs)
    server = _Server(("127.0.0.1", 0), _Handler)
    server.sink = sink
    sink.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
