"""Real local servers for delivery tests: a small SMTP server (enough of RFC 5321 for smtplib: greeting,
EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) and an HTTP server that records POSTs. Both listen on
127.0.0.1 on a free port, in a thread, for the length of a ``with`` block."""

from __future__ import annotations

import http.server
import json
import socketserver
import threading
from contextlib import contextmanager


class _SMTPHandler(socketserver.StreamRequestHandler):
    def _say(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode("ascii"))
        self.wfile.flush()

    def handle(self) -> None:
        box = self.server.box
        self._say("220 localhost test SMTP")
        envelope = {"from": None, "to": []}
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                self._say("250-localhost")
                self._say("250 8BITMIME")
            elif verb == "HELO":
                self._say("250 localhost")
            elif verb == "MAIL":
                envelope = {"from": line.split(":", 1)[1].strip(), "to": []}
                self._say("250 OK")
            elif verb == "RCPT":
                if box.refuse:
                    self._say("550 mailbox unavailable")
                    continue
                envelope["to"].append(line.split(":", 1)[1].strip())
                self._say("250 OK")
            elif verb == "DATA":
                self._say("354 end with <CRLF>.<CRLF>")
                lines = []
                while True:
                    chunk = self.rfile.readline()
                    if chunk in (b".\r\n", b".\n", b""):
                        break
                    lines.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                box.messages.append({**envelope, "data": b"".join(lines)})
                self._say("250 queued")
            elif verb in ("RSET", "NOOP"):
                self._say("250 OK")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("502 not implemented")


class _Box:
    def __init__(self):
        self.messages: list[dict] = []
        self.refuse = False
        self.status = 200


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def smtp_server():
    """``(port, box)``: ``box.messages`` are the mails received; ``box.refuse`` makes RCPT fail."""
    server = _Server(("127.0.0.1", 0), _SMTPHandler)
    server.box = _Box()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], server.box
    finally:
        server.shutdown()
        server.server_close()


class _HookHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        box = self.server.box
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        box.messages.append({"path": self.path, "type": self.headers.get("Content-Type"),
                             "json": json.loads(body.decode("utf-8"))})
        self.send_response(box.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@contextmanager
def hook_server():
    """``(port, box)``: ``box.messages`` the JSON bodies POSTed; ``box.status`` the answer's status."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _HookHandler)
    server.box = _Box()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], server.box
    finally:
        server.shutdown()
        server.server_close()
