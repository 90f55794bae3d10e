"""An AWS JSON 1.1 service over HTTPS for the AWSClient tests, run by TLSTestServer:
python3 aws_json_server.py ROOT CERT KEY CA ACCESS_KEY SECRET REGION TOKEN [FAILURES]
(TOKEN "-" for none; FAILURES: how many PutInventory calls to refuse first, default 0).

Prints the port it bound. Every POST must carry a SigV4 signature for service "ssm" that botocore's SigV4Auth,
given the same signed headers, body and X-Amz-Date, computes again; otherwise 403 InvalidSignatureException.
Operations (X-Amz-Target AmazonSSM.<Operation>):

  Echo          200 {"Operation", "Input", "Attempt"}
  Fail          400 com.amazonaws.ssm#InvalidInstanceId, with an x-amzn-RequestId
  Throttle      400 ThrottlingException twice, then 200 {"Attempt"}
  Unavailable   503 ServiceUnavailable, always
  PutInventory  503 for the first FAILURES calls; then the body is appended to ROOT/PutInventory.jsonl, 200 {}

GET /count/OPERATION answers how many signed requests that operation has had.
"""

import datetime
import http.server
import json
import ssl
import sys
import threading

import botocore.auth
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

root, cert, key, ca, access_key, secret, region, token = sys.argv[1:9]
put_inventory_failures = int(sys.argv[9]) if len(sys.argv) > 9 else 0
token = None if token == "-" else token
counts = {}
lock = threading.Lock()
sign_lock = threading.Lock()


def expected_authorization(method, url, headers, body, signed_names, amz_date):
    """What botocore signs for this request: only the headers the client signed, at the client's time."""
    request = AWSRequest(method=method, url=url, data=body)
    for name, value in headers:
        if name.lower() in signed_names and name.lower() != "x-amz-date":
            request.headers[name] = value
    instant = datetime.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ")
    with sign_lock:  # get_current_datetime is module state
        botocore.auth.get_current_datetime = lambda *args, **kwargs: instant
        SigV4Auth(Credentials(access_key, secret, token), "ssm", region).add_auth(request)
    return request.headers["Authorization"]


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, document, headers=()):
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, error_type, message, headers=()):
        self.reply(status, {"__type": error_type, "message": message}, headers)

    def do_GET(self):
        with lock:
            self.reply(200, counts.get(self.path.split("/")[-1], 0))

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        authorization = self.headers.get("Authorization") or ""
        amz_date = self.headers.get("X-Amz-Date") or ""
        fields = dict(
            part.strip().split("=", 1) for part in authorization.removeprefix("AWS4-HMAC-SHA256 ").split(",") if "=" in part
        )
        signed_names = fields.get("SignedHeaders", "").split(";")
        scope = f"{access_key}/{amz_date[:8]}/{region}/ssm/aws4_request"
        if fields.get("Credential") != scope or not {"host", "x-amz-date", "x-amz-target"} <= set(signed_names):
            self.error(403, "InvalidSignatureException", f"bad credential or signed headers: {authorization}")
            return
        if token is not None and self.headers.get("X-Amz-Security-Token") != token:
            self.error(403, "UnrecognizedClientException", "missing or wrong security token")
            return
        url = "https://" + self.headers["Host"] + self.path
        expected = expected_authorization("POST", url, self.headers.items(), body, signed_names, amz_date)
        if expected != authorization:
            self.error(403, "InvalidSignatureException", f"expected {expected}, got {authorization}")
            return
        operation = (self.headers.get("X-Amz-Target") or "").removeprefix("AmazonSSM.")
        with lock:
            counts[operation] = counts.get(operation, 0) + 1
            attempt = counts[operation]
        if operation == "Echo":
            self.reply(200, {"Operation": operation, "Input": json.loads(body), "Attempt": attempt})
        elif operation == "Fail":
            self.error(
                400, "com.amazonaws.ssm#InvalidInstanceId", "no such instance", [("x-amzn-RequestId", "req-1")]
            )
        elif operation == "Throttle":
            if attempt <= 2:
                self.error(400, "ThrottlingException", "Rate exceeded")
            else:
                self.reply(200, {"Attempt": attempt})
        elif operation == "Unavailable":
            self.error(503, "ServiceUnavailable", "try later")
        elif operation == "PutInventory":
            if attempt <= put_inventory_failures:
                self.error(503, "ServiceUnavailable", "down for maintenance")
                return
            with lock, open(root + "/PutInventory.jsonl", "ab") as log:
                log.write(body + b"\n")
            self.reply(200, {})
        else:
            self.error(400, "UnknownOperationException", operation)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
print(server.server_address[1], flush=True)
server.serve_forever()
