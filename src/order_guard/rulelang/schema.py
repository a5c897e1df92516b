"""The rule-file JSON Schema, generated from the operators the loaded plugins register.

Closed everywhere (``additionalProperties: false``), so a misspelt key is an
error instead of a rule that silently never fires. ``order-guard rules
schema`` prints it for editors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from order_guard.types import DATASET_KINDS, Operator

SEVERITIES = ("info", "low", "medium", "high", "critical")
RULE_ID_PATTERN = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$"
RULE_NAME_PATTERN = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"

CONDITION = {"$ref": "#/$defs/condition"}
VALUE = {"$ref": "#/$defs/value"}
_TEXT = {"type": "string", "minLength": 1}
_TEXT_LIST = {"type": "array", "items": _TEXT}


def _only(key: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {key: schema}, "required": [key], "additionalProperties": False}


def _condition_schema(operators: Mapping[str, Operator]) -> dict[str, Any]:
    field_ops = sorted(name for name, op in operators.items() if op.on_field)
    record_ops = sorted(name for name, op in operators.items() if not op.on_field)
    conditions = {"type": "array", "items": CONDITION, "minItems": 1}
    branches: list[dict[str, Any]] = [
        {"if": {"required": ["all"]}, "then": {"properties": {"all": conditions}, "maxProperties": 1}},
        {"if": {"required": ["any"]}, "then": {"properties": {"any": conditions}, "maxProperties": 1}},
        {"if": {"required": ["not"]}, "then": {"properties": {"not": CONDITION}, "maxProperties": 1}},
        {"if": {"required": ["field"]}, "then": {
            "properties": {"field": _TEXT, **{name: operators[name].schema for name in field_ops}},
            "minProperties": 2, "maxProperties": 2}},
    ]
    if field_ops:
        branches.append({"if": {"anyOf": [{"required": [name]} for name in field_ops]},
                         "then": {"required": ["field"]}})
    for name in record_ops:
        branches.append({"if": {"required": [name]},
                         "then": {"properties": {name: operators[name].schema}, "maxProperties": 1}})
    return {
        "type": "object",
        "minProperties": 1,
        "propertyNames": {"enum": ["all", "any", "not", "field", *field_ops, *record_ops]},
        "allOf": branches,
    }


_AGGREGATE = {
    "type": "object",
    "properties": {
        "dataset": {"enum": list(DATASET_KINDS)},
        "where": CONDITION,
        "unnest": {"enum": ["items"]},
        "group_by": _TEXT,
        "sum": _TEXT,
        "match": _TEXT,
        "as": {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$"},
    },
    "required": ["dataset", "group_by", "sum"],
    "additionalProperties": False,
}

_VALUE = {
    "anyOf": [
        {"type": ["string", "number", "boolean", "null"]},
        _only("field", _TEXT),
        _only("aggregate", _AGGREGATE),
        _only("add", {"type": "array", "items": VALUE, "minItems": 2}),
        _only("sub", {"type": "array", "items": VALUE, "minItems": 2}),
    ]
}

_EXAMPLE = {
    "type": "object",
    "properties": {
        "note": _TEXT,
        "as_of": _TEXT,
        "order": {"type": "object"},
        **{kind: {"type": "array", "items": {"type": "object"}} for kind in DATASET_KINDS},
    },
    "additionalProperties": False,
    "minProperties": 1,
}

_CHECK = {
    "type": "object",
    "properties": {
        "for": {"enum": list(DATASET_KINDS)},
        "when": CONDITION,
        "fail_if": CONDITION,
        "message": _TEXT,
    },
    "required": ["fail_if"],
    "additionalProperties": False,
}

_RULE = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "pattern": RULE_ID_PATTERN},
        "name": {"type": "string", "pattern": RULE_NAME_PATTERN},
        "severity": {"enum": list(SEVERITIES)},
        "summary": _TEXT,
        **_CHECK["properties"],
        "checks": {"type": "array", "items": _CHECK, "minItems": 1},
        "value_at_risk": _TEXT,
        "rationale": _TEXT,
        "remediation": _TEXT,
        "references": {**_TEXT_LIST, "minItems": 1},
        "tags": _TEXT_LIST,
        "examples": {
            "type": "object",
            "properties": {"good": {"type": "array", "items": _EXAMPLE, "minItems": 1},
                           "bad": {"type": "array", "items": _EXAMPLE, "minItems": 1}},
            "required": ["good", "bad"],
            "additionalProperties": False,
        },
    },
    "required": ["id", "name", "severity", "summary", "rationale", "remediation", "references", "examples"],
    "if": {"required": ["checks"]},
    "then": {"not": {"anyOf": [{"required": ["for"]}, {"required": ["when"]}, {"required": ["fail_if"]},
                               {"required": ["message"]}]},
             "properties": {"checks": {"items": {"required": ["message"]}}}},
    "else": {"required": ["fail_if", "message"]},
    "additionalProperties": False,
}


def rule_file_schema(operators: Mapping[str, Operator]) -> dict[str, Any]:
    """The JSON Schema (2020-12) of a rule pack file, for the given operators."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://order-guard.dev/schemas/rule-pack.json",
        "title": "order-guard rule pack",
        "type": "object",
        "properties": {
            "pack": {
                "type": "object",
                "properties": {"name": {"type": "string", "pattern": RULE_NAME_PATTERN},
                               "version": _TEXT, "description": _TEXT},
                "required": ["name", "version"],
                "additionalProperties": False,
            },
            "rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}, "minItems": 1},
        },
        "required": ["pack", "rules"],
        "additionalProperties": False,
        "$defs": {"rule": _RULE, "condition": _condition_schema(operators), "value": _VALUE},
    }
