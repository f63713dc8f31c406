#!/usr/bin/env python3
"""vmha alert witness: a webhook receiver for Alertmanager in the lab.

Every POST to /alerts is appended as one JSON line {"received_at": <unix seconds>, "payload": <the
Alertmanager webhook body>} to the file named by the first argument; GET /alerts returns that file.
It is the tests' witness of what the alertmanagers really sent (scripts/verify/alerting.ts).
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = sys.argv[1] if len(sys.argv) > 1 else "/var/lib/vmha-alert-witness/notifications.jsonl"
PORT = int(sys.argv[2]) if len(sys.argv) > 2 else 9095
PATH = "/alerts"
MAX_BODY = 1 << 20
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def _answer(self, code, body=b"", content_type="text/plain"):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        if self.path != PATH:
            return self._answer(404, b"not found\n")
        length = int(self.headers.get("Content-Length") or 0)
        if length <= 0 or length > MAX_BODY:
            return self._answer(400, b"body missing or too large\n")
        try:
            payload = json.loads(self.rfile.read(length))
        except ValueError:
            return self._answer(400, b"not JSON\n")
        line = json.dumps({"received_at": time.time(), "payload": payload}, sort_keys=True) + "\n"
        with lock, open(LOG, "a", encoding="utf-8") as out:
            out.write(line)
        return self._answer(200, b"ok\n")

    def do_GET(self):
        if self.path == "/health":
            return self._answer(200, b"ok\n")
        if self.path != PATH:
            return self._answer(404, b"not found\n")
        with lock:
            try:
                with open(LOG, "rb") as src:
                    body = src.read()
            except FileNotFoundError:
                body = b""
        return self._answer(200, body, "application/x-ndjson")

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))


if __name__ == "__main__":
    ThreadingHTTPServer(("0.0.0.0", PORT), Handler).serve_forever()
