"""``client.connections``: API-key connections to external services (the key is write-only).

The key is sent on create and update only and never read back (D16). A create whose answer was lost is
recovered by its natural key, provider + display name, before it is tried again.
"""

from __future__ import annotations

import builtins
from typing import Any

from pydantic import SecretStr

from ..models import Connection
from ._envelope import unwrap, unwrap_list
from ._paths import segment
from ._transport import Transport

__all__ = ["ConnectionsAPI"]


class ConnectionsAPI:
    """The connection endpoints (``/api/connections``)."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def __repr__(self) -> str:
        return "ConnectionsAPI()"

    def list(self) -> list[Connection]:
        """Every connection of the caller (the list is not paginated)."""
        response = self._transport.request("GET", "/connections")
        items, _ = unwrap_list(response.body, "connections")
        return [Connection.model_validate(item) for item in items]

    def get(self, connection_id: str) -> Connection:
        """One connection (without its key)."""
        response = self._transport.request("GET", f"/connections/{segment(connection_id, 'connection_id')}")
        return Connection.model_validate(unwrap(response.body))

    def create_api_key(
        self, *, provider: str, api_key: str | SecretStr, display_name: str | None = None
    ) -> Connection:
        """Store an API key for `provider` (e.g. ``slack``); returns the connection, never the key."""
        if not isinstance(provider, str) or not provider.strip():
            raise ValueError("provider must be a non-empty string")
        key = _reveal(api_key, "api_key")
        self._transport.redactor.add(key)
        body: dict[str, Any] = {"provider": provider, "apiKey": key}
        if display_name is not None:
            body["displayName"] = display_name
        # Without a display name the server picks one, so a lost answer is matched against the
        # connections that existed before (one cheap list: connections are few).
        before = None if display_name is not None else {c.id for c in self.list()}

        def recover() -> Any:
            newest_first = sorted(self._raw_list(), key=lambda c: str(c.get("createdAt", "")), reverse=True)
            for item in newest_first:
                if item.get("provider") != provider:
                    continue
                if display_name is not None and item.get("displayName") == display_name:
                    return item
                if before is not None and item.get("id") not in before:
                    return item
            return None

        response = self._transport.request("POST", "/connections/api-key", json_body=body, recover=recover)
        return Connection.model_validate(unwrap(response.body))

    def update(
        self,
        connection_id: str,
        *,
        display_name: str | None = None,
        api_key: str | SecretStr | None = None,
    ) -> Connection:
        """Rename a connection and/or replace its key (setting the same values again is harmless)."""
        body: dict[str, Any] = {}
        if display_name is not None:
            body["displayName"] = display_name
        if api_key is not None:
            key = _reveal(api_key, "api_key")
            self._transport.redactor.add(key)
            body["apiKey"] = key
        if not body:
            raise ValueError("update needs display_name and/or api_key")
        response = self._transport.request(
            "PUT", f"/connections/{segment(connection_id, 'connection_id')}", json_body=body
        )
        return Connection.model_validate(unwrap(response.body))

    def delete(self, connection_id: str) -> None:
        """Delete a connection."""
        self._transport.request("DELETE", f"/connections/{segment(connection_id, 'connection_id')}")

    def _raw_list(self) -> builtins.list[dict[str, Any]]:
        items, _ = unwrap_list(self._transport.request("GET", "/connections").body, "connections")
        return [item for item in items if isinstance(item, dict)]


def _reveal(value: str | SecretStr, what: str) -> str:
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not isinstance(raw, str) or not raw:
        raise ValueError(f"{what} must be a non-empty string")
    return raw
