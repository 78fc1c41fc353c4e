"""Node library routes (docs/api-contract.md#node-library): `GET /api/nodes` and `GET /api/nodes/:id`.

Both answer bare bodies, as documented (`{nodes: [...]}` and the definition itself), and need a
token (inferred: most endpoints do, and nothing says these are public).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from dragops_emulator._http import ApiError, bare, current_user
from dragops_emulator._nodes import get_node, list_nodes

__all__ = ["routes"]


async def nodes(request: Request) -> Response:
    """Every node definition, or one category's with `?category=` (case-insensitive)."""
    current_user(request)
    return bare({"nodes": list_nodes(request.query_params.get("category") or None)})


async def node(request: Request) -> Response:
    """One node definition by type id; 404 NODE_NOT_FOUND when the library has none."""
    current_user(request)
    definition = get_node(request.path_params["id"])
    if definition is None:
        raise ApiError(404, "NODE_NOT_FOUND", f"Node type {request.path_params['id']!r} not found")
    return bare(definition)


routes: list[Route] = [
    Route("/api/nodes", nodes, methods=["GET"]),
    Route("/api/nodes/{id}", node, methods=["GET"]),
]
