"""The Python peer of `keygen batch`, for the bench's ratio: the same work in the plain way a
Python shop would write it. Reads the CSV export, signs one Ed25519 key per row (the
`cryptography` package, OpenSSL underneath), chains each row's SHA-256 over its JSON like
the ledger, inserts every row into SQLite (WAL, synchronous=FULL, the ledger's indexes) in
one transaction, and writes the rows with their keys to the output CSV.

    python3 peer.py orders.csv keys.csv ledger.sqlite
"""

import base64
import csv
import hashlib
import json
import os
import sqlite3
import sys

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SCHEMA = """
CREATE TABLE IF NOT EXISTS keys (
    serial TEXT NOT NULL PRIMARY KEY, position INTEGER NOT NULL UNIQUE, order_id TEXT,
    organization TEXT NOT NULL, org_search TEXT NOT NULL, seats INTEGER, features TEXT NOT NULL,
    issued TEXT NOT NULL, expires TEXT, key TEXT NOT NULL, signed_by TEXT NOT NULL,
    template TEXT, contact TEXT, recorded_at TEXT NOT NULL, prev TEXT NOT NULL, hash TEXT NOT NULL);
CREATE UNIQUE INDEX IF NOT EXISTS keys_one_per_order ON keys (order_id);
CREATE INDEX IF NOT EXISTS keys_expires ON keys (expires);
CREATE INDEX IF NOT EXISTS keys_org_search ON keys (org_search, position);
"""


def main(source, target, ledger):
    key = Ed25519PrivateKey.generate()
    db = sqlite3.connect(ledger, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")
    db.executescript(SCHEMA)
    db.execute("BEGIN IMMEDIATE")
    row = db.execute("SELECT position, hash FROM keys ORDER BY position DESC LIMIT 1").fetchone()
    position, prev = row if row else (0, "0" * 64)
    insert = "INSERT INTO keys VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    with open(source, newline="", encoding="utf-8") as f, open(target, "w", newline="", encoding="utf-8") as out:
        reader = csv.DictReader(f)
        writer = csv.writer(out)
        writer.writerow(reader.fieldnames + ["serial", "issued", "valid_until", "key"])
        for r in reader:
            organization = r["organization"].strip()
            serial = os.urandom(8).hex()
            seats = int(r["seats"]) if r.get("seats") else None
            payload = json.dumps([serial, organization, r["template"], seats, "2026-12-07"]).encode()
            signature = key.sign(b"license-key-v1" + payload)
            text = base64.b32encode(payload + signature).decode().rstrip("=")
            position += 1
            fields = [position, prev, serial, r.get("order_id"), organization, seats, r["template"],
                      "2026-12-07", None, text, "peer", r.get("contact"), "2026-12-07T00:00:00Z"]
            digest = hashlib.sha256(json.dumps(fields, separators=(",", ":")).encode()).hexdigest()
            db.execute(insert, (serial, position, r.get("order_id"), organization, organization.casefold(),
                                seats, r["template"], "2026-12-07", None, text, "peer", r["template"],
                                r.get("contact"), "2026-12-07T00:00:00Z", prev, digest))
            prev = digest
            writer.writerow(list(r.values()) + [serial, "2026-12-07", "never", text])
        out.flush()
        os.fsync(out.fileno())
    db.execute("COMMIT")
    db.close()


if __name__ == "__main__":
    main(*sys.argv[1:4])
