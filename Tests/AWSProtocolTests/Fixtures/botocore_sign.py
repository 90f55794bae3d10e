"""Signs requests with botocore's own SigV4 signers, for the differential test of the Swift signer.

Reads {"cases": [...]} as JSON on stdin and prints a JSON array with one result per case, in order.

A case: kind ("header" or "presign"), service, region, method, url (scheme, host, port and the path as sent; no
query), query (decoded [name, value] pairs), headers ([name, value] pairs, in order), body (hex), accessKey,
secret, token (or null), amzDate (YYYYMMDDTHHMMSSZ), expires (presign only).

A header case yields {"added": [[name, value], ...]}: the headers botocore added or replaced, Authorization last.
A presign case yields {"url": "..."}.
"""

import datetime
import json
import sys

import botocore.auth
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ADDED = ["X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-SHA256", "Authorization"]


def sign(case):
    # botocore reads the clock through botocore.auth.get_current_datetime (a naive UTC datetime): pin it.
    instant = datetime.datetime.strptime(case["amzDate"], "%Y%m%dT%H%M%SZ")
    botocore.auth.get_current_datetime = lambda *args, **kwargs: instant

    credentials = Credentials(case["accessKey"], case["secret"], case["token"])
    request = AWSRequest(method=case["method"], url=case["url"], data=bytes.fromhex(case["body"]))
    # HTTPHeaders appends on assignment, so repeated names (in any case) stay repeated, in order.
    for name, value in case["headers"]:
        request.headers[name] = value
    if case["query"]:
        request.params = [tuple(pair) for pair in case["query"]]

    s3 = case["service"] == "s3"
    if case["kind"] == "presign":
        cls = S3SigV4QueryAuth if s3 else SigV4QueryAuth
        cls(credentials, case["service"], case["region"], expires=case["expires"]).add_auth(request)
        return {"url": request.url}
    cls = S3SigV4Auth if s3 else SigV4Auth
    cls(credentials, case["service"], case["region"]).add_auth(request)
    added = []
    for name in ADDED:
        values = request.headers.get_all(name) or []
        added.extend([name, value] for value in values)
    return {"added": added}


def main():
    cases = json.load(sys.stdin)["cases"]
    json.dump([sign(case) for case in cases], sys.stdout)


if __name__ == "__main__":
    main()
