"""Small builders that keep the node catalogue readable as a table (used by `_node_catalog/`).

`pin`/`exec_pin`/`prop` make pins and properties; `node` makes a definition; `pure` and `action` are
the two common shapes (a pure node has no exec pins; an action takes and gives one `exec`).
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "action",
    "binary_math",
    "compare",
    "exec_pin",
    "literal",
    "node",
    "pin",
    "prop",
    "pure",
    "unary_math",
]

# Marks "no defaultValue" (None is a legitimate default: the null value).
_UNSET: Any = object()


def pin(
    name: str, type_: str, label: str | None = None, *, default: Any = _UNSET, required: bool = False
) -> dict[str, Any]:
    """A data pin; `default` becomes `defaultValue`, `required`: must be wired or defaulted."""
    pin: dict[str, Any] = {
        "name": name,
        "type": type_,
        "label": label if label is not None else name.capitalize(),
    }
    if default is not _UNSET:
        pin["defaultValue"] = default
    if required:
        pin["required"] = True
    return pin


def exec_pin(name: str = "exec", label: str = "") -> dict[str, Any]:
    """An execution pin (`label` is empty for the plain `exec` pins, as in the documented examples)."""
    return {"name": name, "type": "exec", "label": label}


def prop(
    name: str, type_: str, label: str, *, required: bool = False, options: list[str] | None = None
) -> dict[str, Any]:
    """An editor property (a value stored in a graph node's `data.properties`)."""
    prop: dict[str, Any] = {"name": name, "type": type_, "label": label}
    if required:
        prop["required"] = True
    if options is not None:
        prop["options"] = options
    return prop


def node(
    id_: str,
    label: str,
    category: str,
    description: str,
    *,
    inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
    pure: bool = False,
    properties: list[dict[str, Any]] | None = None,
    trigger: bool = False,
) -> dict[str, Any]:
    """A complete definition with the documented keys (plus `properties` and `isTrigger` when set)."""
    definition: dict[str, Any] = {
        "id": id_,
        "label": label,
        "category": category,
        "description": description,
        "isPure": pure,
        "inputs": inputs,
        "outputs": outputs,
    }
    if properties:
        definition["properties"] = properties
    if trigger:
        definition["isTrigger"] = True
    return definition


# The catalogue calls these positionally so each definition reads as one table row.
def pure(  # noqa: PLR0917
    id_: str,
    label: str,
    category: str,
    description: str,
    inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
    *,
    properties: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A pure node: no exec pins, evaluated on demand."""
    return node(
        id_, label, category, description, inputs=inputs, outputs=outputs, pure=True, properties=properties
    )


def action(  # noqa: PLR0917
    id_: str,
    label: str,
    category: str,
    description: str,
    inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
    *,
    properties: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An impure node: an `exec` input and an `exec` output around its data pins."""
    return node(
        id_,
        label,
        category,
        description,
        inputs=[exec_pin(), *inputs],
        outputs=[exec_pin(), *outputs],
        properties=properties,
    )


def binary_math(id_: str, label: str, description: str) -> dict[str, Any]:
    """A pure Math node of two numbers `a`, `b` giving `result`."""
    return pure(
        id_,
        label,
        "Math",
        description,
        [pin("a", "number", "A", default=0), pin("b", "number", "B", default=0)],
        [pin("result", "number", "Result")],
    )


def unary_math(id_: str, label: str, description: str, out_type: str = "number") -> dict[str, Any]:
    """A pure Math node of one number `value` giving `result`."""
    return pure(
        id_,
        label,
        "Math",
        description,
        [pin("value", "number", "Value", default=0)],
        [pin("result", out_type, "Result")],
    )


def compare(id_: str, label: str, description: str, operand: str = "any") -> dict[str, Any]:
    """A pure Comparison node of `a`, `b` giving a boolean `result`."""
    return pure(
        id_,
        label,
        "Comparison",
        description,
        [pin("a", operand, "A"), pin("b", operand, "B")],
        [pin("result", "boolean", "Result")],
    )


def literal(id_: str, label: str, type_: str, default: Any) -> dict[str, Any]:
    """A Literals node: its `value` input (edited through pinDefaults) passed to its `value` output."""
    return pure(
        id_,
        label,
        "Literals",
        f"A constant {type_} value",
        [pin("value", type_, "Value", default=default)],
        [pin("value", type_, "Value")],
    )
