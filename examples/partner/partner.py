#!/usr/bin/env python3
"""An example partner of cdb-hub, runnable against the sandbox (`cdb-hub serve --demo`).

It does what a partner's integration does, with nothing but the standard library and the
Standard Webhooks library from PyPI:

1. takes an access token (OAuth2 client credentials);
2. runs a webhook receiver that verifies every delivery with `standardwebhooks`;
3. subscribes it (`POST /v1/webhooks`, with an Idempotency-Key);
4. upserts a batch of people (`POST /v1/beneficiaries/batch`) with an Idempotency-Key, and
   sends it again to show the replay;
5. reads the whole change feed, saving its cursor after each page, then reads it again from
   the saved cursor (a resumed sync);
6. waits for the hub to deliver the new people to the receiver, verified.

    python3 partner.py run      # all of the above; exit 0 when everything held
    python3 partner.py receive --port 9999 --secret whsec_…   # only the receiver

Settings: CDB_URL (default http://127.0.0.1:8080), CDB_CLIENT_ID, CDB_CLIENT_SECRET, and
CDB_CURSOR_FILE (default ./cursor.txt).
"""

import argparse
import base64
import http.server
import json
import os
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from standardwebhooks import Webhook, WebhookVerificationError

BASE = os.environ.get("CDB_URL", "http://127.0.0.1:8080").rstrip("/")


def call(method, path, token=None, body=None, headers=None, form=None, basic=None):
    """One HTTP call: answers (status, headers, JSON body or None)."""
    headers = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if basic:
        pair = base64.b64encode(f"{basic[0]}:{basic[1]}".encode()).decode()
        headers["Authorization"] = f"Basic {pair}"
    request = urllib.request.Request(BASE + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            return response.status, lower(response.headers), json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, lower(error.headers), json.loads(raw) if raw else None


def lower(headers):
    """Header names are case-insensitive: keep them in lower case."""
    return {name.lower(): value for name, value in headers.items()}


def token():
    status, _, body = call(
        "POST",
        "/oauth/token",
        form={"grant_type": "client_credentials"},
        basic=(os.environ["CDB_CLIENT_ID"], os.environ["CDB_CLIENT_SECRET"]),
    )
    assert status == 200, body
    return body["access_token"]


class Receiver:
    """A webhook receiver verifying each delivery with the Standard Webhooks library."""

    def __init__(self, secret=None, port=0):
        self.verifier = Webhook(secret) if secret else None
        self.events = []
        self.refused = 0
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                try:
                    if receiver.verifier is None:
                        raise WebhookVerificationError("no secret yet")
                    event = receiver.verifier.verify(body, dict(self.headers.items()))
                except WebhookVerificationError:
                    receiver.refused += 1
                    self.send_response(400)
                    self.end_headers()
                    return
                # A delivery may come twice (at least once): keep one per webhook-id.
                if all(seen["id"] != event["id"] for seen in receiver.events):
                    receiver.events.append(event)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def sync(access, cursor_file):
    """Reads the change feed from the saved cursor to its end; answers the changes read."""
    cursor = open(cursor_file).read().strip() if os.path.exists(cursor_file) else None
    read = []
    while True:
        query = f"?limit=100&cursor={urllib.parse.quote(cursor)}" if cursor else "?limit=100"
        status, _, page = call("GET", "/v1/changes" + query, access, headers={"X-Purpose": "synchronisation"})
        assert status == 200, page
        read.extend(page["items"])
        if not page["items"] or page["next_cursor"] in (None, cursor):
            break
        cursor = page["next_cursor"]
        with open(cursor_file, "w") as out:
            out.write(cursor)
    return read


def run():
    access = token()
    print(f"1. token: {access[:12]}…")

    # 2 and 3: a verifying receiver, subscribed once whatever the retries; it verifies with
    # the secret the subscription answers.
    receiver = Receiver()
    status, _, hook = call(
        "POST", "/v1/webhooks", access,
        body={"url": f"http://127.0.0.1:{receiver.port}/hook", "event_types": ["beneficiary.created", "beneficiary.updated"]},
        headers={"Idempotency-Key": f"subscribe-{uuid.uuid4()}"},
    )
    assert status == 201, hook
    receiver.verifier = Webhook(hook["secret"])
    print(f"2-3. webhook {hook['id']} → 127.0.0.1:{receiver.port}, secret {hook['secret'][:10]}…")

    # 4. A batch upserted with an Idempotency-Key, and the same batch again.
    run_id = uuid.uuid4().hex[:8]
    batch = {"items": [
        {"source_id": f"EX-{run_id}-1", "firstname": "Awa", "lastname": f"Exemple{run_id}", "date_of_birth": "1991-04-12", "city": "Valence"},
        {"source_id": f"EX-{run_id}-2", "firstname": "Noé", "lastname": f"Exemple{run_id}", "date_of_birth": "1987-10-02", "city": "Die"},
    ]}
    key = f"batch-{run_id}"
    status, headers, first = call("POST", "/v1/beneficiaries/batch", access, body=batch, headers={"Idempotency-Key": key})
    assert status == 200, first
    assert [item["status"] for item in first["items"]] == ["created", "created"], first
    status, headers, again = call("POST", "/v1/beneficiaries/batch", access, body=batch, headers={"Idempotency-Key": key})
    assert status == 200 and headers.get("idempotent-replayed") == "true" and again == first, (headers, again)
    people = {item["beneficiary_id"] for item in first["items"]}
    print(f"4. batch: {len(people)} people created; the replay answered the first answer")

    # 5. The whole feed, then a resumed sync from the saved cursor.
    cursor_file = os.environ.get("CDB_CURSOR_FILE", "cursor.txt")
    if os.path.exists(cursor_file):
        os.remove(cursor_file)
    changes = sync(access, cursor_file)
    assert people <= {c["beneficiary_id"] for c in changes}, "the feed has the new people"
    resumed = sync(access, cursor_file)
    assert not (people & {c["beneficiary_id"] for c in resumed}), "a resumed sync does not read them again"
    print(f"5. feed: {len(changes)} changes read, then {len(resumed)} after resuming")

    # 6. The hub pushes the new people to the receiver, each delivery verified.
    deadline = time.time() + 60
    while time.time() < deadline:
        delivered = {e["change"]["beneficiary_id"] for e in receiver.events if e["event"] == "beneficiary.created"}
        if people <= delivered:
            break
        time.sleep(0.5)
    else:
        sys.exit(f"the new people were not delivered: {receiver.events}")
    print(f"6. webhooks: {len(receiver.events)} deliveries verified with standardwebhooks, {receiver.refused} refused")
    print(json.dumps({"ok": True, "people": sorted(people), "changes": len(changes), "deliveries": len(receiver.events)}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="the whole integration, against the sandbox")
    receive = commands.add_parser("receive", help="only the verifying webhook receiver")
    receive.add_argument("--port", type=int, required=True)
    receive.add_argument("--secret", required=True)
    arguments = parser.parse_args()
    if arguments.command == "run":
        run()
    else:
        receiver = Receiver(arguments.secret, arguments.port)
        print(f"receiving on http://127.0.0.1:{receiver.port}/hook", flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
