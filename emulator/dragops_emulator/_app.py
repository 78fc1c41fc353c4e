"""create_app: the emulator's ASGI application, every route module behind the middleware chain.

Chain, outermost first: request log -> faults -> rate limits -> body-size limit -> Starlette routes.
"""

from __future__ import annotations

import importlib

from starlette.applications import Starlette
from starlette.routing import BaseRoute
from starlette.types import ASGIApp

from dragops_emulator import _control
from dragops_emulator._faults import FaultMiddleware
from dragops_emulator._http import exception_handlers
from dragops_emulator._middleware import BodyLimitMiddleware, RequestLogMiddleware
from dragops_emulator._ratelimit import RateLimitMiddleware
from dragops_emulator._state import EmulatorState

__all__ = ["ROUTE_MODULES", "create_app"]

# Modules of the package that export `routes: list[Route]`, served in this order.
# >>> ROUTE MODULES: each module owner adds ONE line for their module here (e.g. "_nodes",). <<<
ROUTE_MODULES: tuple[str, ...] = (
    "_control",
    "_auth",
    "_patterns",
    "_connections",
    "_nodes_routes",  # node library
    "_deployments",  # deployments (deploy, undeploy, status, pause/resume, execute)
    "_runs",  # run records and stats
    "_webhooks",  # webhook ingestion (both paths) and endpoint management
)
# >>> end of ROUTE MODULES <<<


def _routes() -> list[BaseRoute]:
    routes: list[BaseRoute] = []
    for name in ROUTE_MODULES:
        module = _control if name == "_control" else importlib.import_module(f"dragops_emulator.{name}")
        routes.extend(module.routes)
    return routes


def create_app(state: EmulatorState) -> ASGIApp:
    """The ASGI app serving ``state``: the REST API, the webhook ingestion paths and ``/__emulator/``."""
    app = Starlette(routes=_routes(), exception_handlers=exception_handlers())
    app.state.emulator = state
    wrapped: ASGIApp = BodyLimitMiddleware(app, state)
    wrapped = RateLimitMiddleware(wrapped, state)
    wrapped = FaultMiddleware(wrapped, state.faults)
    return RequestLogMiddleware(wrapped, state)
