#!/usr/bin/env python3
"""Webhook delivery delay under load: a loopback receiver subscribed to `beneficiary.created`,
a partner creating people at a steady rate (POST /v1/notebooks), and the delay from each
change's commit (`change.committed_at` in the body) to its arrival at the receiver.

    python3 benches/webhook_latency.py <client_id> <client_secret> [rate/s] [seconds] [hub URL]

The hub must serve with CDB_WEBHOOKS_ALLOW_PRIVATE=true CDB_WEBHOOKS_ALLOW_HTTP=true (loopback
receiver) and the client needs beneficiaries:read, beneficiaries:write and webhooks:admin. Standard library only.
"""
import base64
import datetime
import http.client
import http.server
import json
import random
import sys
import threading
import time
import urllib.parse

client_id, client_secret = sys.argv[1], sys.argv[2]
rate = float(sys.argv[3]) if len(sys.argv) > 3 else 100.0
seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 60.0
hub = urllib.parse.urlparse(sys.argv[5] if len(sys.argv) > 5 else "http://127.0.0.1:8090")

delays = []
lock = threading.Lock()


class Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        arrived = datetime.datetime.now(datetime.timezone.utc)
        self.send_response(204)
        self.end_headers()
        try:
            change = json.loads(body)["change"]
            committed = datetime.datetime.fromisoformat(change["committed_at"].replace("Z", "+00:00"))
            with lock:
                delays.append((arrived - committed).total_seconds())
        except (KeyError, ValueError):
            pass

    def log_message(self, *args):
        pass


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=server.serve_forever, daemon=True).start()
receiver = f"http://127.0.0.1:{server.server_address[1]}/hook"


def call(method, path, body=None, token=None, form=None):
    conn = http.client.HTTPConnection(hub.hostname, hub.port or 80, timeout=30)
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if form is not None:
        data = urllib.parse.urlencode(form)
        pair = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        headers.update({"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {pair}"})
    else:
        data = json.dumps(body) if body is not None else None
        headers["Content-Type"] = "application/json"
    conn.request(method, path, data, headers)
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    return response.status, (json.loads(payload) if payload else None)


status, grant = call("POST", "/oauth/token", form={"grant_type": "client_credentials"})
assert status == 200, grant
token = grant["access_token"]
status, subscription = call("POST", "/v1/webhooks", {"url": receiver, "event_types": ["beneficiary.created"]}, token)
assert status == 201, subscription

sent = 0
failed = 0
start = time.monotonic()
run = random.randrange(999)


def nir(i):
    """A valid NIR, unique per run and line: born in Paris, commune and order from them."""
    year, month = 50 + i % 40, 1 + (i // 999) % 12
    body = f"1{year:02d}{month:02d}75{1 + run % 999:03d}{1 + i % 999:03d}"
    return body + f"{97 - int(body) % 97:02d}", year, month


def create(i):
    global failed
    number, year, month = nir(i)
    person = {"nir": number, "firstname": "Charge", "lastname": f"Webhook{run}x{i}",
              "date_of_birth": f"19{year:02d}-{month:02d}-{1 + i % 28:02d}"}
    status, _ = call("POST", "/v1/notebooks", person, token)
    if status != 201:
        failed += 1


threads = []
while time.monotonic() - start < seconds:
    due = start + sent / rate
    pause = due - time.monotonic()
    if pause > 0:
        time.sleep(pause)
    thread = threading.Thread(target=create, args=(sent,))
    thread.start()
    threads.append(thread)
    sent += 1
for thread in threads:
    thread.join()
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    with lock:
        if len(delays) >= sent - failed:
            break
    time.sleep(0.5)
call("DELETE", f"/v1/webhooks/{subscription['id']}", token=token)
with lock:
    got = sorted(delays)
if not got:
    sys.exit("no delivery received")


def pct(p):
    return got[min(len(got) - 1, int(p / 100 * len(got)))]


print(json.dumps({
    "rate_per_second": rate, "seconds": seconds, "changes": sent - failed, "failed_writes": failed,
    "delivered": len(got), "p50_s": round(pct(50), 3), "p95_s": round(pct(95), 3),
    "p99_s": round(pct(99), 3), "max_s": round(got[-1], 3),
}))
