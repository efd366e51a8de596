"""A tool call's arguments checked against the tool's declared JSON schema, after coercing what models get wrong.

The schema the LLM is given (`voice.tools.TOOL_SCHEMAS`) is the only description of a tool's arguments: this
module coerces the values a model writes in the wrong JSON type (local models served by Ollama, vLLM or
llama.cpp write integers as strings or floats: `"1.0"`, `"3"`, `3.0`), then validates with `jsonschema`
(Draft 2020-12, https://json-schema.org/draft/2020-12) and turns every failure into one sentence a model
can act on ("rep_id must be an integer (got 'abc')").
"""
from __future__ import annotations

import math
import re
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

_INTEGER = re.compile(r"^[+-]?\d+(\.0*)?$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_TRUE, _FALSE = {"true", "yes", "1"}, {"false", "no", "0"}
_NULLS = {"", "null", "none"}
UNPARSED = "__unparsed_arguments__"  # an LLM adapter's stand-in for arguments that were not JSON: {UNPARSED: text}


class ArgumentError(ValueError):
    """The arguments do not fit the schema; `str(exc)` is the sentence the model reads back."""


def clean_arguments(schema: dict[str, Any], arguments: Any) -> dict[str, Any]:
    """Coerce then validate `arguments` (the decoded JSON object of a tool call) against `schema`.

    `schema` is an object schema with `properties` and `required`. Returns the arguments to call the tool with:
    only declared properties, values coerced to their declared type, optional nulls dropped (the tool's default
    applies). Raises `ArgumentError` naming every bad argument.
    """
    if arguments is None:
        arguments = {}
    if isinstance(arguments, dict) and UNPARSED in arguments:
        raise ArgumentError(f"the arguments were not valid JSON ({_show(arguments[UNPARSED])}); send one JSON object")
    if not isinstance(arguments, dict):
        raise ArgumentError(f"arguments must be a JSON object of named values (got {_show(arguments)})")
    properties: dict[str, Any] = schema.get("properties") or {}
    required = set(schema.get("required") or ())
    cleaned: dict[str, Any] = {}
    for name, value in arguments.items():
        spec = properties.get(name)
        if spec is None:
            continue  # an argument the tool does not take: models invent them; ignoring is the safe reading
        value = _coerce(spec, value)
        if value is None and name not in required and "null" not in _types(spec):
            continue
        cleaned[name] = value
    errors = sorted(Draft202012Validator(schema).iter_errors(cleaned), key=lambda e: list(e.path))
    if errors:
        raise ArgumentError("; ".join(_sentence(e, properties) for e in errors))
    return cleaned


def _types(spec: dict[str, Any]) -> list[str]:
    kind = spec.get("type")
    return [kind] if isinstance(kind, str) else list(kind or ())


def _coerce(spec: dict[str, Any], value: Any) -> Any:
    """The value in the declared type when it plainly means one ("3" for an integer); otherwise unchanged."""
    types = _types(spec)
    if isinstance(value, str) and value.strip().lower() in _NULLS and "string" not in types:
        return None
    if "integer" in types and not isinstance(value, bool):
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return int(value)
        if isinstance(value, str) and _INTEGER.match(value.strip()):
            return int(value.strip().split(".")[0])
    if "number" in types and isinstance(value, str) and _NUMBER.match(value.strip()):
        number = float(value.strip())
        return int(number) if number.is_integer() else number
    if "boolean" in types and isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    if "string" in types and isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and spec.get("enum") and value not in spec["enum"]:
        folded = {str(option).lower(): option for option in spec["enum"]}
        value = folded.get(value.strip().lower(), value)
    return value


def _sentence(error: ValidationError, properties: dict[str, Any]) -> str:
    """One error in words: which argument, what it must be, what was sent."""
    if error.validator == "required":
        missing = next((name for name in error.validator_value if name not in error.instance), "an argument")
        return f"{missing} is required"
    name = ".".join(str(p) for p in error.path) or "arguments"
    if error.validator == "type" and error.instance is None:
        return f"{name} is required and cannot be null"
    if error.validator == "type":
        wanted = " or ".join(_types({"type": error.validator_value}))
        return f"{name} must be {_article(wanted)} {wanted} (got {_show(error.instance)})"
    if error.validator == "enum":
        return f"{name} must be one of {', '.join(map(str, error.validator_value))} (got {_show(error.instance)})"
    return f"{name}: {error.message}"


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
