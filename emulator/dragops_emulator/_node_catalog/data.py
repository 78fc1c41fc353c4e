"""Data and transform nodes, all pure: categories "String", "Data Formats", "Object", "Array", "Date/Time".

They compute a value from their inputs and never touch the outside world.
"""

from __future__ import annotations

from typing import Any

from dragops_emulator._node_builders import (
    pin,
    prop,
    pure,
)

__all__ = ["NODES"]

_STRING = [
    pure(
        "Concat",
        "Concat",
        "String",
        "Joins two strings",
        [pin("a", "string", "A", default=""), pin("b", "string", "B", default="")],
        [pin("result", "string", "Result")],
    ),
    pure(
        "Format",
        "Format",
        "String",
        "Fills {name} placeholders of a template from an object (dotted paths allowed)",
        [
            pin("template", "string", "Template", required=True),
            pin("values", "object", "Values", default={}),
        ],
        [pin("result", "string", "Result")],
    ),
    pure(
        "ToUpper",
        "To Upper Case",
        "String",
        "Upper-cases a string",
        [pin("text", "string", "Text", default="")],
        [pin("result", "string", "Result")],
    ),
    pure(
        "ToLower",
        "To Lower Case",
        "String",
        "Lower-cases a string",
        [pin("text", "string", "Text", default="")],
        [pin("result", "string", "Result")],
    ),
    pure(
        "Trim",
        "Trim",
        "String",
        "Removes leading and trailing whitespace",
        [pin("text", "string", "Text", default="")],
        [pin("result", "string", "Result")],
    ),
    pure(
        "StringContains",
        "Contains",
        "String",
        "True when the text contains the search string",
        [pin("text", "string", "Text", default=""), pin("search", "string", "Search", default="")],
        [pin("result", "boolean", "Result")],
    ),
    pure(
        "Replace",
        "Replace",
        "String",
        "Replaces every occurrence of a string",
        [
            pin("text", "string", "Text", default=""),
            pin("search", "string", "Search", required=True),
            pin("replacement", "string", "Replacement", default=""),
        ],
        [pin("result", "string", "Result")],
    ),
    pure(
        "Split",
        "Split",
        "String",
        "Splits a string on a separator",
        [pin("text", "string", "Text", default=""), pin("separator", "string", "Separator", default=",")],
        [pin("result", "array", "Parts")],
    ),
    pure(
        "StringLength",
        "Length",
        "String",
        "The number of characters",
        [pin("text", "string", "Text", default="")],
        [pin("result", "integer", "Length")],
    ),
    pure(
        "Substring",
        "Substring",
        "String",
        "Characters from Start (inclusive) to End (exclusive; -1 = to the end)",
        [
            pin("text", "string", "Text", default=""),
            pin("start", "integer", "Start", default=0),
            pin("end", "integer", "End", default=-1),
        ],
        [pin("result", "string", "Result")],
    ),
]

_DATA = [
    pure(
        "ParseJson",
        "Parse JSON",
        "Data Formats",
        "Parses JSON text (fails on invalid JSON)",
        [pin("text", "string", "Text", required=True)],
        [pin("value", "any", "Value")],
    ),
    pure(
        "ToJson",
        "To JSON",
        "Data Formats",
        "Serialises a value as JSON text",
        [pin("value", "any", "Value")],
        [pin("text", "string", "Text")],
        properties=[prop("pretty", "boolean", "Pretty Print")],
    ),
]

_OBJECTS = [
    pure(
        "GetProperty",
        "Get Property",
        "Object",
        "Reads a property by dotted path (a.b.0.c); null when absent",
        [pin("object", "object", "Object", required=True), pin("path", "string", "Path", required=True)],
        [pin("value", "any", "Value"), pin("found", "boolean", "Found")],
    ),
    pure(
        "SetProperty",
        "Set Property",
        "Object",
        "Returns a copy of the object with one property set",
        [
            pin("object", "object", "Object", default={}),
            pin("key", "string", "Key", required=True),
            pin("value", "any", "Value"),
        ],
        [pin("result", "object", "Result")],
    ),
    pure(
        "ObjectKeys",
        "Keys",
        "Object",
        "The keys of an object",
        [pin("object", "object", "Object", default={})],
        [pin("result", "array", "Keys")],
    ),
    pure(
        "MergeObjects",
        "Merge Objects",
        "Object",
        "A shallow merge of B over A",
        [pin("a", "object", "A", default={}), pin("b", "object", "B", default={})],
        [pin("result", "object", "Result")],
    ),
    pure(
        "ArrayLength",
        "Array Length",
        "Array",
        "The number of elements",
        [pin("array", "array", "Array", default=[])],
        [pin("result", "integer", "Length")],
    ),
    pure(
        "ArrayGet",
        "Get Element",
        "Array",
        "The element at an index (negative counts from the end); null when out of range",
        [pin("array", "array", "Array", default=[]), pin("index", "integer", "Index", default=0)],
        [pin("value", "any", "Value")],
    ),
    pure(
        "ArrayAppend",
        "Append",
        "Array",
        "Returns a copy of the array with a value appended",
        [pin("array", "array", "Array", default=[]), pin("value", "any", "Value")],
        [pin("result", "array", "Result")],
    ),
    pure(
        "ArrayJoin",
        "Join",
        "Array",
        "Joins the elements as text with a separator",
        [pin("array", "array", "Array", default=[]), pin("separator", "string", "Separator", default=", ")],
        [pin("result", "string", "Result")],
    ),
    pure(
        "ArrayContains",
        "Array Contains",
        "Array",
        "True when an element equals the value",
        [pin("array", "array", "Array", default=[]), pin("value", "any", "Value")],
        [pin("result", "boolean", "Result")],
    ),
]

_DATES = [
    pure("Now", "Now", "Date/Time", "The current time (UTC)", [], [pin("result", "datetime", "Now")]),
    pure(
        "AddSeconds",
        "Add Seconds",
        "Date/Time",
        "A time plus a number of seconds",
        [pin("time", "datetime", "Time", required=True), pin("seconds", "number", "Seconds", default=0)],
        [pin("result", "datetime", "Result")],
    ),
]

NODES: tuple[dict[str, Any], ...] = (*_STRING, *_DATA, *_OBJECTS, *_DATES)
