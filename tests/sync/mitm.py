"""An on-path attacker between a device and the agency server, as a real process.

    python tests/sync/mitm.py LISTEN_PORT UPSTREAM_URL MODE_FILE LOG_FILE [ATTACKER_KEY_B64]

It forwards every request to the upstream server (plain HTTP or HTTPS, certificate not
checked: the attacker has no need to) and does what MODE_FILE says, re-read for each request:

``pass``            forward untouched
``swap_key``        in a claim answer, put the attacker's agency key (and a fingerprint made
                    for it) in place of the agency's
``forge_revoke``    answer any device request with ``403 {"detail": "device_revoked",
                    "wipe": true}`` without forwarding
``forge_ack``       answer an upload with every envelope ``stored`` without forwarding
``replay_answer``   answer with the last genuine answer to the same path (a real signed
                    statement, for another request)

Every request and answer is appended to LOG_FILE as one JSON line (headers and base64 bodies),
so the test can steal tokens and replay requests.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import ssl
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def main() -> None:
    port, upstream, mode_file, log_file = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    attacker_key = sys.argv[5] if len(sys.argv) > 5 else ""
    target = urlsplit(upstream)
    last: dict[str, tuple[int, list[tuple[str, str]], bytes]] = {}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_args: object) -> None:
            pass

        def _forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
            if target.scheme == "https":
                context = ssl.create_default_context()
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
                conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                    target.hostname, target.port, context=context, timeout=30
                )
            else:
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
            conn.request(self.command, self.path, body=body or None, headers=headers)
            response = conn.getresponse()
            data = response.read()
            out = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP]
            conn.close()
            return response.status, out, data

        def _handle(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else b""
            mode = Path(mode_file).read_text(encoding="utf-8").strip()
            device_path = self.path.endswith(("/envelopes", "/config"))
            if mode == "forge_revoke" and device_path:
                status, headers, data = 403, [("content-type", "application/json")], json.dumps(
                    {"detail": "device_revoked", "wipe": True}
                ).encode()
            elif mode == "forge_ack" and self.path.endswith("/envelopes"):
                sent = json.loads(_inflate(body, self.headers.get("content-encoding")))
                results = [{"id": e["id"], "status": "stored"} for e in sent["envelopes"]]
                status, headers = 200, [("content-type", "application/json")]
                data = json.dumps({"results": results}).encode()
            elif mode == "replay_answer" and self.path in last:
                status, headers, data = last[self.path]
            else:
                status, headers, data = self._forward(body)
                if status < 300:
                    last[self.path] = (status, headers, data)
                if mode == "swap_key" and self.path.endswith("/enrol/claim") and status == 200:
                    answer = json.loads(data)
                    raw = base64.b64decode(attacker_key)
                    answer["agency_public_key"] = attacker_key
                    answer["agency_key_fingerprint"] = hashlib.sha256(raw).hexdigest()[:16]
                    data = json.dumps(answer).encode()
            with open(log_file, "a", encoding="utf-8") as log:
                log.write(json.dumps({
                    "method": self.command, "path": self.path,
                    "headers": dict(self.headers.items()),
                    "body": base64.b64encode(body).decode(),
                    "status": status, "answer": base64.b64encode(data).decode(),
                }) + "\n")
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _handle

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def _inflate(body: bytes, encoding: str | None) -> bytes:
    import gzip

    return gzip.decompress(body) if (encoding or "").lower() == "gzip" else body


if __name__ == "__main__":
    main()
