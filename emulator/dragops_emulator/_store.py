"""Store: the emulator's state, JSON documents in SQLite (in memory, or a file that survives restarts).

One table per collection with columns ``(id, owner_id, parent_id, data, head)``; documents are plain
JSON dicts. ``head`` is the document without its bulky fields (a pattern's ``graphData``), kept beside
it so list views filter, sort and parse small documents only. One connection behind a re-entrant lock:
handlers run on the event loop thread and the control API may run elsewhere, and SQLite is fast enough
that holding the lock for a statement costs nothing.
"""

# S608: table names come only from the COLLECTIONS whitelist (checked by _table); values are bound.
# ruff: noqa: S608

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

__all__ = ["COLLECTIONS", "HEAD_OMITS", "Store", "Where"]

# Bulky top-level fields left out of a collection's `head` copy (what list views read).
HEAD_OMITS: dict[str, tuple[str, ...]] = {"patterns": ("graphData",)}
# Head fields with an index per owner, so the default list order needs no sort at all.
SORT_INDEXES: dict[str, tuple[str, ...]] = {"patterns": ("updatedAt", "createdAt")}

_Docs = list[dict[str, Any]]
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _key(name: str) -> str:
    # Keys go into JSON paths (bound as parameters); refusing odd names keeps the paths unambiguous.
    if not _KEY.match(name):
        raise ValueError(f"not a plain top-level key: {name!r}")
    return name


@dataclass(frozen=True)
class Where:
    """A condition on a top-level field of a document's head (not a bulky field), for :meth:`Store.page`.

    ``op``: ``eq`` (equal; booleans compare as JSON booleans), ``has`` (the array field contains the
    value) or ``icontains`` (the string field contains the value, ignoring case).
    """

    field: str
    op: str
    value: Any

    def sql(self) -> tuple[str, list[Any]]:
        """The SQL condition and its parameters."""
        path = f"$.{_key(self.field)}"
        if self.op == "eq":
            value = int(self.value) if isinstance(self.value, bool) else self.value
            return "json_extract(head, ?) = ?", [path, value]
        if self.op == "has":
            return "EXISTS (SELECT 1 FROM json_each(head, ?) AS item WHERE item.value = ?)", [
                path,
                self.value,
            ]
        if self.op == "icontains":
            return "instr(casefold(json_extract(head, ?)), ?) > 0", [path, str(self.value).casefold()]
        raise ValueError(f"unknown condition: {self.op}")


COLLECTIONS: tuple[str, ...] = (
    "users",
    "patterns",
    "versions",
    "deployments",
    "runs",
    "webhooks",
    "webhook_requests",
    "idempotency",
    "connections",
    "captured_events",
)


class Store:
    """JSON documents per collection, with an owner and a parent for cheap filtered listing.

    Every method returns fresh dicts (parsed from the stored JSON), so callers may modify what they get
    and write it back with :meth:`replace`.
    """

    def __init__(self, db_path: str | None = None) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        # isolation_level=None: autocommit per statement; transaction() issues BEGIN/COMMIT itself.
        self._conn = sqlite3.connect(db_path or ":memory:", check_same_thread=False, isolation_level=None)
        # Unicode-aware case folding for search and name sorting (SQLite's lower() is ASCII only).
        self._conn.create_function("casefold", 1, _casefold, deterministic=True)
        if db_path:
            # WAL + NORMAL: durable across process restarts without an fsync per write.
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        with self._lock:
            for name in COLLECTIONS:
                self._conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {name} "
                    "(id TEXT PRIMARY KEY, owner_id TEXT, parent_id TEXT,"
                    " data TEXT NOT NULL, head TEXT NOT NULL)"
                )
                self._conn.execute(f"CREATE INDEX IF NOT EXISTS {name}_owner ON {name}(owner_id)")
                self._conn.execute(f"CREATE INDEX IF NOT EXISTS {name}_parent ON {name}(parent_id)")
            for name, fields in SORT_INDEXES.items():
                for field in fields:
                    self._conn.execute(
                        f"CREATE INDEX IF NOT EXISTS {name}_by_{_key(field)} "
                        f"ON {name}(owner_id, {_head_path(field)}, id)"
                    )
            self._conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    @staticmethod
    def _table(collection: str) -> str:
        if collection not in COLLECTIONS:
            raise KeyError(f"unknown collection: {collection}")
        return collection

    def insert(
        self, collection: str, doc: dict[str, Any], *, owner_id: str | None, parent_id: str | None = None
    ) -> dict[str, Any]:
        """Store a new document (``doc["id"]`` must be set and unused); returns ``doc``."""
        table = self._table(collection)
        with self._lock:
            self._conn.execute(
                f"INSERT INTO {table} (id, owner_id, parent_id, data, head) VALUES (?, ?, ?, ?, ?)",
                (doc["id"], owner_id, parent_id, _dump(doc), _dump(_head(collection, doc))),
            )
        return doc

    def get(self, collection: str, id: str, *, owner_id: str | None = None) -> dict[str, Any] | None:
        """The document with this id, or None; with ``owner_id``, None unless it belongs to that owner."""
        table = self._table(collection)
        with self._lock:
            if owner_id is None:
                row = self._conn.execute(f"SELECT data FROM {table} WHERE id = ?", (id,)).fetchone()
            else:
                row = self._conn.execute(
                    f"SELECT data FROM {table} WHERE id = ? AND owner_id = ?", (id, owner_id)
                ).fetchone()
        return None if row is None else _load(row[0])

    def owner_of(self, collection: str, id: str) -> str | None:
        """The owner id recorded for a document (None when unknown or unowned)."""
        table = self._table(collection)
        with self._lock:
            row = self._conn.execute(f"SELECT owner_id FROM {table} WHERE id = ?", (id,)).fetchone()
        return None if row is None else row[0]

    def replace(self, collection: str, doc: dict[str, Any]) -> dict[str, Any]:
        """Overwrite the stored document with the same id (owner and parent stay); returns ``doc``."""
        table = self._table(collection)
        with self._lock:
            cursor = self._conn.execute(
                f"UPDATE {table} SET data = ?, head = ? WHERE id = ?",
                (_dump(doc), _dump(_head(collection, doc)), doc["id"]),
            )
        if cursor.rowcount == 0:
            raise KeyError(f"{collection}/{doc['id']} does not exist")
        return doc

    def delete(self, collection: str, id: str) -> bool:
        """Remove a document; True when it existed."""
        table = self._table(collection)
        with self._lock:
            cursor = self._conn.execute(f"DELETE FROM {table} WHERE id = ?", (id,))
        return cursor.rowcount > 0

    def delete_children(self, collection: str, parent_id: str) -> int:
        """Remove every document of ``collection`` whose parent is ``parent_id``; returns how many."""
        table = self._table(collection)
        with self._lock:
            cursor = self._conn.execute(f"DELETE FROM {table} WHERE parent_id = ?", (parent_id,))
        return cursor.rowcount

    def trim(self, collection: str, parent_id: str, *, keep: int) -> int:
        """Delete all but the newest ``keep`` documents (insertion order) of a parent; returns how many.

        The cut-off is found by stepping ``keep`` entries down the parent index, so the cost does not
        grow with the number of documents being dropped or kept elsewhere.
        """
        table = self._table(collection)
        with self._lock:
            cursor = self._conn.execute(
                f"DELETE FROM {table} WHERE parent_id = ? AND rowid <= "
                f"(SELECT rowid FROM {table} WHERE parent_id = ? ORDER BY rowid DESC LIMIT 1 OFFSET ?)",
                (parent_id, parent_id, keep),
            )
        return cursor.rowcount

    def list(
        self,
        collection: str,
        *,
        owner_id: str | None = None,
        parent_id: str | None = None,
        heads: bool = False,
    ) -> _Docs:
        """Documents of a collection, optionally only one owner's and/or one parent's, in insertion order.

        ``heads=True`` returns them without their bulky fields (see ``HEAD_OMITS``), for list views.
        """
        table = self._table(collection)
        where, params = _where(*_scope(owner_id, parent_id))
        column = "head" if heads else "data"
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {column} FROM {table}{where} ORDER BY rowid", params
            ).fetchall()
        return [_load(row[0]) for row in rows]

    def page(
        self,
        collection: str,
        *,
        owner_id: str | None = None,
        where: Sequence[Where] = (),
        order_by: str,
        descending: bool = False,
        casefold_order: bool = False,
        offset: int = 0,
        limit: int = 20,
    ) -> tuple[_Docs, int]:
        """One page of filtered, sorted document heads (see ``HEAD_OMITS``) and how many match in all.

        Filtering and sorting run in SQLite on the small head documents and only the page is parsed in
        Python, so listing stays cheap however many documents an owner has. Ties in ``order_by`` are
        broken by id in the same direction, so pages are stable.
        """
        table = self._table(collection)
        clauses, params = _scope(owner_id, None)
        for condition in where:
            sql, values = condition.sql()
            clauses.append(sql)
            params.extend(values)
        where_sql, params = _where(clauses, params)
        # A literal path (the key is checked by _key), so SQLite can use the SORT_INDEXES.
        key = f"casefold({_head_path(order_by)})" if casefold_order else _head_path(order_by)
        direction = "DESC" if descending else "ASC"
        select = (
            f"SELECT head FROM {table}{where_sql} ORDER BY {key} {direction}, id {direction} LIMIT ? OFFSET ?"
        )
        with self._lock:
            total = int(self._conn.execute(f"SELECT COUNT(*) FROM {table}{where_sql}", params).fetchone()[0])
            rows = self._conn.execute(select, [*params, limit, offset]).fetchall()
        return [_load(row[0]) for row in rows], total

    def count(self, collection: str, *, owner_id: str | None = None, parent_id: str | None = None) -> int:
        """How many documents :meth:`list` would return."""
        table = self._table(collection)
        where, params = _where(*_scope(owner_id, parent_id))
        with self._lock:
            row = self._conn.execute(f"SELECT COUNT(*) FROM {table}{where}", params).fetchone()
        return int(row[0])

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """Hold the lock and run the block atomically (ROLLBACK on exception).

        A nested use joins the outer transaction."""
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                self._conn.execute("BEGIN")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outermost:
                    self._conn.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outermost:
                self._conn.execute("COMMIT")

    def clear(self) -> None:
        """Delete every document of every collection (metadata such as the signing secret stays)."""
        with self.transaction():
            for name in COLLECTIONS:
                self._conn.execute(f"DELETE FROM {name}")

    def get_meta(self, key: str) -> str | None:
        """A value of the instance's metadata (e.g. the JWT signing secret), or None."""
        with self._lock:
            row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Store a metadata value (kept by :meth:`clear`)."""
        with self._lock:
            self._conn.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._conn.close()


def _head_path(field: str) -> str:
    return f"json_extract(head, '$.{_key(field)}')"


def _dump(doc: dict[str, Any]) -> str:
    return json.dumps(doc, separators=(",", ":"))


def _head(collection: str, doc: dict[str, Any]) -> dict[str, Any]:
    omitted = HEAD_OMITS.get(collection)
    if not omitted:
        return doc
    return {key: value for key, value in doc.items() if key not in omitted}


def _casefold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def _load(text: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(text)
    return doc


def _scope(owner_id: str | None, parent_id: str | None) -> tuple[list[str], list[Any]]:
    """SQL conditions (and their parameters) selecting one owner's and/or one parent's documents."""
    clauses: list[str] = []
    params: list[Any] = []
    if owner_id is not None:
        clauses.append("owner_id = ?")
        params.append(owner_id)
    if parent_id is not None:
        clauses.append("parent_id = ?")
        params.append(parent_id)
    return clauses, params


def _where(clauses: list[str], params: list[Any]) -> tuple[str, list[Any]]:
    """A `` WHERE ...`` clause joining ``clauses`` (empty when there are none), with its parameters."""
    return (f" WHERE {' AND '.join(clauses)}" if clauses else ""), params
