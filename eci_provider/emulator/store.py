"""SQLite persistence: groups, used nonces, ClientToken responses, counters.

One connection per :class:`Store`, guarded by a lock (requests of one process are serialised;
the emulator is not a throughput benchmark).  Every request runs in one short ``BEGIN
IMMEDIATE`` transaction, so several processes sharing a database file (a test and the Pulumi
provider it drives) see consistent state; WAL lets readers proceed while one writes, and the
busy timeout absorbs contention.  Groups are stored as JSON beside a few indexed columns used
to find due transitions and to apply retention.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from .state import Group

_SCHEMA = """
CREATE TABLE IF NOT EXISTS groups (
    id TEXT PRIMARY KEY,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at REAL NOT NULL,
    visible_at REAL NOT NULL,
    status TEXT NOT NULL,
    terminal_at REAL,
    next_change_at REAL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS groups_by_region ON groups (region, created_at);
CREATE INDEX IF NOT EXISTS groups_by_next_change ON groups (next_change_at);
CREATE INDEX IF NOT EXISTS groups_by_terminal ON groups (terminal_at);
CREATE TABLE IF NOT EXISTS nonces (key TEXT PRIMARY KEY, expires_at REAL NOT NULL);
CREATE INDEX IF NOT EXISTS nonces_by_expiry ON nonces (expires_at);
CREATE TABLE IF NOT EXISTS client_tokens (
    action TEXT NOT NULL,
    region TEXT NOT NULL,
    token TEXT NOT NULL,
    params_hash TEXT NOT NULL,
    response TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (action, region, token)
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    action TEXT NOT NULL,
    group_id TEXT NOT NULL,
    detail TEXT NOT NULL
);
"""


def _create_owner_only(path: str) -> None:
    """Create the database file with mode 0600 unless it exists.

    It holds every group's spec with its secrets in clear (registry passwords, config-file
    contents) and the idempotency table, on machines shared with other users; sqlite3 would
    create it with 0644 under the usual umask.  SQLite gives the ``-wal`` and ``-shm`` files the
    database file's mode.  An existing file keeps the mode its owner chose.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)


class Store:
    """The emulator's database (a file path, or ``:memory:``)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.RLock()
        if path not in ("", ":memory:"):  # private to the connection: SQLite names no file for them
            _create_owner_only(path)
        self._conn = sqlite3.connect(path, timeout=30.0, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA busy_timeout = 30000")
        if path != ":memory:":
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
        # executescript commits any open transaction first, so the schema is created outside one;
        # every statement is idempotent, which makes concurrent first opens safe.
        self._conn.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        """One IMMEDIATE transaction: committed on success, rolled back on any exception."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield Tx(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")


class Tx:
    """Queries available inside a transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    # -- groups --------------------------------------------------------------------------
    def get(self, group_id: str) -> Group | None:
        row = self.conn.execute("SELECT doc FROM groups WHERE id = ?", (group_id,)).fetchone()
        return Group.from_json(json.loads(row[0])) if row else None

    def groups(self, region: str | None = None, ids: Sequence[str] | None = None) -> list[Group]:
        """Groups by creation, optionally of one region and only the given IDs: a lookup by ID
        (what every waiter's poll is) decodes those groups, not the whole region."""
        where, args = [], []
        if region is not None:
            where.append("region = ?")
            args.append(region)
        if ids is not None:
            where.append(f"id IN ({', '.join('?' * len(ids))})")
            args.extend(ids)
        sql = "SELECT doc FROM groups" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY created_at, id"
        return [Group.from_json(json.loads(r[0])) for r in self.conn.execute(sql, args).fetchall()]

    def due(self, now: float) -> list[Group]:
        rows = self.conn.execute("SELECT doc FROM groups WHERE next_change_at <= ?", (now,)).fetchall()
        return [Group.from_json(json.loads(r[0])) for r in rows]

    def save(self, g: Group, next_change_at: float | None) -> None:
        """Insert or replace ``g``; a group marked gone is deleted."""
        if g.gone:
            self.conn.execute("DELETE FROM groups WHERE id = ?", (g.id,))
            return
        self.conn.execute(
            "INSERT OR REPLACE INTO groups (id, region, name, created_at, visible_at, status, terminal_at,"
            " next_change_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                g.id,
                g.region,
                g.spec["name"],
                g.created_at,
                g.visible_at,
                g.status,
                g.terminal_at,
                next_change_at,
                json.dumps(g.to_json(), separators=(",", ":")),
            ),
        )

    def purge_retention(self, now: float, retention_seconds: float, keep: int) -> int:
        """Drop terminal groups older than the retention period beyond the newest ``keep`` per region."""
        cur = self.conn.execute(
            "DELETE FROM groups WHERE id IN ("
            " SELECT id FROM ("
            "  SELECT id, ROW_NUMBER() OVER (PARTITION BY region ORDER BY terminal_at DESC, id DESC) AS rn"
            "  FROM groups WHERE terminal_at IS NOT NULL AND terminal_at < ?"
            " ) WHERE rn > ?)",
            (now - retention_seconds, keep),
        )
        return cur.rowcount

    # -- nonces ----------------------------------------------------------------------------
    def use_nonce(self, key: str, expires_at: float, now: float) -> bool:
        """Record a nonce; False when it was already used and has not expired."""
        self.conn.execute("DELETE FROM nonces WHERE expires_at < ?", (now,))
        try:
            self.conn.execute("INSERT INTO nonces (key, expires_at) VALUES (?, ?)", (key, expires_at))
        except sqlite3.IntegrityError:
            return False
        return True

    # -- client tokens ---------------------------------------------------------------------
    def token(self, action: str, region: str, token: str, now: float) -> tuple[str, dict[str, Any]] | None:
        row = self.conn.execute(
            "SELECT params_hash, response FROM client_tokens WHERE action = ? AND region = ? AND token = ?"
            " AND expires_at > ?",
            (action, region, token, now),
        ).fetchone()
        return (row[0], json.loads(row[1])) if row else None

    def remember_token(
        self, key: tuple[str, str, str], params_hash: str, response: dict[str, Any], now: float, ttl: float
    ) -> None:
        action, region, token = key
        self.conn.execute("DELETE FROM client_tokens WHERE expires_at <= ?", (now,))
        self.conn.execute(
            "INSERT OR REPLACE INTO client_tokens (action, region, token, params_hash, response, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (action, region, token, params_hash, json.dumps(response), now + ttl),
        )

    # -- journal ---------------------------------------------------------------------------
    def record(self, at: float, action: str, group_id: str, detail: dict[str, Any]) -> None:
        """Append one accepted mutating call (names and decisions only, never values)."""
        self.conn.execute(
            "INSERT INTO journal (at, action, group_id, detail) VALUES (?, ?, ?, ?)",
            (at, action, group_id, json.dumps(detail, sort_keys=True)),
        )

    def journal(self, since: int = 0) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT seq, at, action, group_id, detail FROM journal WHERE seq > ? ORDER BY seq", (since,)
        )
        return [
            {"seq": seq, "at": at, "action": action, "group_id": gid, **json.loads(detail)}
            for seq, at, action, gid, detail in rows
        ]

    # -- counters --------------------------------------------------------------------------
    def incr(self, name: str, by: int = 1) -> int:
        self.conn.execute(
            "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + ?",
            (name, by, by),
        )
        return int(self.conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()[0])

    def counters(self) -> dict[str, int]:
        return {name: int(v) for name, v in self.conn.execute("SELECT name, value FROM counters ORDER BY name")}
