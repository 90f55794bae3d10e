"""An HTTPS server for the Transport tests, run by TLSTestServer: python3 transport_server.py ROOT CERT KEY CA [MODE].

Prints the port it bound. MODE "client-certificate" requires a client certificate signed by CA.

  /echo                  any method: the request as JSON (method, path, headers, body, client certificate's CN)
  /gzip                  a text body sent gzip-compressed (406 unless the client accepts gzip)
  /etag                  ETag "v1"; 304 when If-None-Match names it
  /flaky/KEY/N/CODE      CODE until the Nth request for KEY, then 200; the body is "attempt N: " and the request body
  /retry-after/KEY/S     503 with Retry-After: S on the first request for KEY, then 200
  /count/KEY             how many requests KEY has had
  /status/CODE           that status, no body
  /stream/N              N chunks of 64 KiB without a Content-Length, then silence for 30 seconds
"""

import gzip
import http.server
import json
import ssl
import sys
import threading
import time

root, cert, key, ca = sys.argv[1:5]
mode = sys.argv[5] if len(sys.argv) > 5 else ""
counts = {}
lock = threading.Lock()

GZIP_TEXT = ("patchd gzip test line\n" * 200).encode()


def count(name):
    with lock:
        counts[name] = counts.get(name, 0) + 1
        return counts[name]


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status != 304:
            self.wfile.write(body)

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = self.path.strip("/").split("/")
        if parts[0] == "echo":
            peer = self.connection.getpeercert() or {}
            subject = dict(pair[0] for pair in peer.get("subject", ()))
            document = {
                "method": self.command,
                "path": self.path,
                "headers": [[name, value] for name, value in self.headers.items()],
                "body": body.decode("utf-8", "replace"),
                "client": subject.get("commonName"),
            }
            self.reply(200, json.dumps(document).encode(), [("Content-Type", "application/json")])
        elif parts[0] == "gzip":
            if "gzip" not in (self.headers.get("Accept-Encoding") or ""):
                self.reply(406, b"gzip not accepted")
                return
            self.reply(200, gzip.compress(GZIP_TEXT), [("Content-Encoding", "gzip")])
        elif parts[0] == "etag":
            if self.headers.get("If-None-Match") == '"v1"':
                self.reply(304, headers=[("ETag", '"v1"')])
            else:
                self.reply(200, b"version 1", [("ETag", '"v1"')])
        elif parts[0] == "flaky":
            name, n, code = parts[1], int(parts[2]), int(parts[3])
            attempt = count(name)
            status = 200 if attempt >= n else code
            self.reply(status, f"attempt {attempt}: ".encode() + body, [("X-Attempt", str(attempt))])
        elif parts[0] == "retry-after":
            attempt = count(parts[1])
            if attempt == 1:
                self.reply(503, b"busy", [("Retry-After", parts[2])])
            else:
                self.reply(200, f"attempt {attempt}".encode())
        elif parts[0] == "count":
            with lock:
                self.reply(200, str(counts.get(parts[1], 0)).encode())
        elif parts[0] == "status":
            self.reply(int(parts[1]))
        elif parts[0] == "stream":
            self.send_response(200)
            self.end_headers()
            for _ in range(int(parts[1])):
                self.wfile.write(b"x" * 65536)
                self.wfile.flush()
            time.sleep(30)
        else:
            self.reply(404, b"no such path")

    do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = handle_any


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
if mode == "client-certificate":
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(ca)
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
