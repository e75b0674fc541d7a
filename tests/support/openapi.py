"""openapi.yaml read as the tests read it: the document, its operations, and the strict reading of a schema (every
`$ref` inlined, `allOf` merged, an object that lists its properties closed), used by tests/test_openapi.py and the
fuzz suite alike."""

from __future__ import annotations

import functools
import os
from typing import Any

import yaml
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from tests.support.world import PROJECT_DIR

SPEC_PATH = os.path.join(PROJECT_DIR, "openapi.yaml")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@functools.cache
def spec() -> dict[str, Any]:
    with open(SPEC_PATH, encoding="utf-8") as f:
        return yaml.safe_load(f)


def operations() -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, item in spec()["paths"].items()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }


def deref(node: Any) -> Any:
    """Follow local `$ref`s ("#/components/...") to the node they name."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def strict(schema: Any) -> dict[str, Any]:
    """The schema with refs inlined, allOf merged, and listed-property objects closed (see the module doc)."""
    schema = dict(deref(schema))
    if "properties" in schema:
        schema["properties"] = {name: strict(sub) for name, sub in schema["properties"].items()}
    if isinstance(schema.get("additionalProperties"), dict):
        schema["additionalProperties"] = strict(schema["additionalProperties"])
    if "items" in schema:
        schema["items"] = strict(schema["items"])
    for keyword in ("oneOf", "anyOf"):
        if keyword in schema:
            schema[keyword] = [strict(sub) for sub in schema[keyword]]
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in [strict(sub) for sub in schema.pop("allOf")] + [schema]:
            for key, value in part.items():
                if key == "properties":
                    merged.setdefault("properties", {}).update(value)
                elif key == "required":
                    merged["required"] = sorted({*merged.get("required", []), *value})
                elif key != "additionalProperties":  # the merged object is closed below, once
                    merged[key] = value
        schema = merged
    if schema.get("type") == "object" and "properties" in schema and "additionalProperties" not in schema:
        schema["additionalProperties"] = False
    return schema


def schema_errors(schema: Any, instance: Any) -> list[str]:
    validator = OAS30Validator(strict(schema), format_checker=oas30_format_checker)
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(instance)]
