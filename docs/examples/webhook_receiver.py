"""A webhook receiver for the messaging hub (docs/webhooks.md), standard library only.

    WEBHOOK_SECRET=whsec_... python3 docs/examples/webhook_receiver.py 8088

Verifies the Standard Webhooks signature (HMAC-SHA256 by hand; the
`standardwebhooks` package on PyPI does the same), refuses calls older than
five minutes, deduplicates on webhook-id and prints each event as one line.
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

TOLERANCE_S = 5 * 60


class InvalidSignature(Exception):
    pass


def verify(secret, headers, body, now=None):
    """Returns the event if one of the signatures matches and the timestamp is recent; raises InvalidSignature otherwise."""
    msg_id = headers.get("webhook-id")
    timestamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (msg_id and timestamp and signatures):
        raise InvalidSignature("missing webhook-id, webhook-timestamp or webhook-signature")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise InvalidSignature("webhook-timestamp is not a number")
    if abs((time.time() if now is None else now) - sent_at) > TOLERANCE_S:
        raise InvalidSignature("webhook-timestamp is too old or in the future")
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    # One "v1,<base64>" entry per active secret (two during a rotation): any match will do.
    for entry in signatures.split(" "):
        version, _, signature = entry.partition(",")
        if version != "v1":
            continue
        try:
            given = base64.b64decode(signature, validate=True)
        except ValueError:
            continue
        if hmac.compare_digest(given, expected):
            return json.loads(body)
    raise InvalidSignature("no signature matches")


def serve(port, secret):
    seen = set()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            try:
                event = verify(secret, self.headers, body)
            except InvalidSignature as err:
                self.send_response(400)
                self.end_headers()
                self.wfile.write(str(err).encode())
                return
            # The same webhook-id comes again on retries and re-sends: handle it once.
            msg_id = self.headers["webhook-id"]
            if msg_id not in seen:
                seen.add(msg_id)
                print(json.dumps({"webhook_id": msg_id, "type": event["type"], "data": event["data"]}), flush=True)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", port), Receiver)
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]) if len(sys.argv) > 1 else 8088, os.environ["WEBHOOK_SECRET"])
