"""Noticing a rotated connection key: a salted fingerprint of each key, kept in DRAGOPS itself.

DRAGOPS never returns a connection's key, and a connection has no field of its own to hold a note. So
the sync keeps, per owner, one **registry pattern** — named `dragops-sync connection keys (<owner>)`,
tagged `dragops-sync:keys-of=<owner>`, never deployed, with an empty graph — whose description is a
JSON object `{"connections": {"<display name>": "<salt>:<fingerprint>"}}`. The fingerprint is a slow,
salted hash (PBKDF2-SHA256, 200,000 rounds, 16 random bytes of salt per key): it tells whether the key
in the environment is the one last written, and nothing else; the key itself is never stored, logged
or shown. A CI job (a fresh process) reads it with one list call.

`plan` compares each connection whose key variable is set: same fingerprint -> nothing to do;
different -> `update` (the key changed: it is written again); none recorded yet (a connection made
before this, or by hand) -> `update` once, which records it. `apply` records the fingerprint after
every create or key update. The Pulumi provider keeps the same fingerprint in its state (`fingerprint`
is shared).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from dragops_sync.api import Client
from dragops_sync.desired import DesiredConnection

__all__ = [
    "REGISTRY_TAG_PREFIX",
    "KeyRegistry",
    "KeyState",
    "fingerprint",
    "is_key_registry",
    "registry_name",
]

REGISTRY_TAG_PREFIX = "dragops-sync:keys-of="
_PBKDF2_ROUNDS = 200_000

KeyState = Literal["same", "rotated", "unrecorded"]


def fingerprint(salt: str, api_key: str) -> str:
    """The salted, slow hash that stands for a key (never the key itself)."""
    digest = hashlib.pbkdf2_hmac("sha256", api_key.encode("utf-8"), bytes.fromhex(salt), _PBKDF2_ROUNDS)
    return digest.hex()


def is_key_registry(tags: Sequence[object]) -> bool:
    """Whether a live pattern with these tags is a key registry (the sync's own, never a user's)."""
    return any(str(t).startswith(REGISTRY_TAG_PREFIX) for t in tags)


def registry_name(owner: str) -> str:
    return f"dragops-sync connection keys ({owner})"[:200]


class KeyRegistry:
    """The fingerprints of one owner's connection keys (see the module docstring)."""

    def __init__(self, client: Client, owner: str) -> None:
        self._client = client
        self._owner = owner
        self._tag = f"{REGISTRY_TAG_PREFIX}{owner}"[:100]
        with _LOCKS_GUARD:  # one lock per owner, shared by every instance: apply records in parallel
            self._lock = _LOCKS.setdefault(owner, threading.Lock())

    def _find(self) -> tuple[list[str], dict[str, str]]:
        """The registry patterns (oldest first) and the fingerprints they hold, merged.

        Two writers racing on an owner's first record can each create a registry; every one found is
        read (a later one's entry wins) so nothing recorded is lost, and `record` folds them into the
        oldest.
        """
        ids: list[str] = []
        merged: dict[str, str] = {}
        for summary in self._client.patterns.list(tags=[self._tag], sort_by="createdAt", sort_order="asc"):
            ids.append(summary.id)
            try:
                recorded = json.loads(summary.description or "{}").get("connections", {})
            except (ValueError, AttributeError):
                recorded = {}
            merged.update({str(k): str(v) for k, v in recorded.items() if isinstance(v, str)})
        return ids, merged

    def states(self, connections: Sequence[DesiredConnection], env: Mapping[str, str]) -> dict[str, KeyState]:
        """For each connection whose key variable is set: same, rotated or unrecorded."""
        wanted = [c for c in connections if env.get(c.api_key_env)]
        if not wanted:
            return {}
        _, recorded = self._find()
        found: dict[str, KeyState] = {}
        for conn in wanted:
            entry = recorded.get(conn.server_name)
            if entry is None or ":" not in entry:
                found[conn.server_name] = "unrecorded"
                continue
            salt, stored = entry.split(":", 1)
            same = hmac.compare_digest(fingerprint(salt, env[conn.api_key_env]), stored)
            found[conn.server_name] = "same" if same else "rotated"
        return found

    def record(self, name: str, api_key: str) -> None:
        """Remember the fingerprint of `name`'s key (the registry pattern is made on first use)."""
        salt = secrets.token_hex(16)
        entry = f"{salt}:{fingerprint(salt, api_key)}"
        with self._lock:
            ids, recorded = self._find()
            recorded[name] = entry
            description = json.dumps({"connections": dict(sorted(recorded.items()))}, separators=(",", ":"))
            if not ids:
                self._client.patterns.create(
                    name=registry_name(self._owner),
                    description=description,
                    tags=[self._tag],
                    graph_data=_EMPTY_GRAPH,
                )
                return
            self._client.patterns.update(ids[0], description=description)
            for twin in ids[1:]:  # its entries are in the oldest now
                self._client.patterns.delete(twin)


_EMPTY_GRAPH: dict[str, Any] = {"nodes": [], "edges": []}
_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()
