"""The fields of a pattern's content and how each is spelled: the one list every layer reads.

`PatternSpec` (spec.py) has one attribute per field, the essence (essence.py) compares exactly these
fields, the client sends their API spellings and the Pulumi provider takes their input names. Pure data.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FIELDS", "PatternField"]


@dataclass(frozen=True)
class PatternField:
    """How one pattern field is spelled: as a `PatternSpec` attribute, in the API and as a Pulumi input."""

    attribute: str
    api: str
    pulumi: str


# Every field of a pattern's content, in the order the API document lists them.
FIELDS: tuple[PatternField, ...] = (
    PatternField("name", "name", "name"),
    PatternField("description", "description", "description"),
    PatternField("tags", "tags", "tags"),
    PatternField("is_public", "isPublic", "is_public"),
    PatternField("is_template", "isTemplate", "is_template"),
    PatternField("graph_data", "graphData", "graph"),
)
