"""User accounts: creation, lookup by email and salted password hashes.

Passwords are kept only as ``scrypt`` hashes with a per-user salt. The cost parameters are lower than a
production server would use (n=2**12): the emulator creates a user per test, and the point here is that
no password is ever stored or shown in clear, not resistance to offline cracking.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Any

from dragops_emulator._store import Store

__all__ = ["create_user", "find_user_by_email", "hash_password", "public_user", "verify_password"]

_SCRYPT = {"n": 2**12, "r": 8, "p": 1, "dklen": 32}


def hash_password(password: str) -> str:
    """``scrypt$<salt hex>$<hash hex>`` for ``password``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches the stored hash (constant-time comparison)."""
    if not stored:
        return False
    try:
        scheme, salt_hex, digest_hex = stored.split("$")
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return hmac.compare_digest(digest.hex(), digest_hex)


def find_user_by_email(store: Store, email: str) -> dict[str, Any] | None:
    """The user with this email (case-insensitive), or None."""
    wanted = email.strip().lower()
    for user in store.list("users"):
        if str(user["email"]).lower() == wanted:
            return user
    return None


def create_user(
    store: Store,
    *,
    user_id: str,
    email: str,
    password: str | None,
    first_name: str,
    last_name: str,
    now_iso: str,
) -> dict[str, Any]:
    """Store a new user (the caller checked that the email is free); ``password`` None = no local login."""
    user = {
        "id": user_id,
        "email": email.strip(),
        "firstName": first_name,
        "lastName": last_name,
        "role": "user",
        "passwordHash": hash_password(password) if password is not None else None,
        "createdAt": now_iso,
    }
    store.insert("users", user, owner_id=user_id)
    return user


def public_user(user: dict[str, Any]) -> dict[str, Any]:
    """The user as the API shows it: ``{id, email, firstName, lastName, role}`` (never the hash)."""
    return {key: user[key] for key in ("id", "email", "firstName", "lastName", "role")}
