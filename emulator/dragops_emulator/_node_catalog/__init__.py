"""The node definitions of the library, as data (served through `_nodes.py`), one module per category group.

Each definition has the documented keys `{id, label, category, description, isPure, inputs, outputs}`,
optional `properties` (editor settings stored in a graph node's `data.properties`) and, for event
nodes, `isTrigger: true`. Pins are `{name, type, label}` plus optional `defaultValue` and `required`.
Impure nodes take an `exec` input and give an `exec` output.

`CATALOG` is the order `GET /api/nodes` serves (and the palette order of the categories): events,
flow control, values, math and logic, data, HTTP and utility, integrations.
"""

from __future__ import annotations

from typing import Any

from dragops_emulator._node_catalog import (
    data,
    events,
    flow_control,
    http_and_utility,
    integrations,
    math_and_logic,
    values,
)

__all__ = ["CATALOG"]

CATALOG: tuple[dict[str, Any], ...] = (
    *events.NODES,
    *flow_control.NODES,
    *values.NODES,
    *math_and_logic.NODES,
    *data.NODES,
    *http_and_utility.NODES,
    *integrations.NODES,
)
