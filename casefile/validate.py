"""Validate loaded data against the model and turn pydantic's errors into located problems."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from casefile.errors import Problem, did_you_mean
from casefile.loader import LoadedCase, PathKey
from casefile.model import Case


def format_path(path: PathKey) -> str:
    """`('crimes', 0, 'figures', 1)` -> `crimes[0].figures[1]`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def validate_case(loaded: LoadedCase) -> tuple[Case | None, list[Problem]]:
    """The Case model for the loaded data, or None and the problems that prevent it."""
    try:
        return Case.model_validate(loaded.data), []
    except ValidationError as e:
        return None, [_problem(loaded, err) for err in e.errors(include_url=False)]


def _data_path(data: Any, loc: tuple[Any, ...]) -> PathKey:
    """The part of a pydantic loc that names real nodes (drops union and validator tags)."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
        elif isinstance(node, dict | list):
            # A key that is absent (missing field) or not a key at all (a union tag).
            if isinstance(part, str) and not any(c in part for c in "[]()-,"):
                path.append(part)
            break
        else:
            break
    return tuple(path)


def _model_fields_at(path: PathKey) -> list[str]:
    """The field names (aliases) allowed in the mapping at `path`."""
    model: Any = Case
    for part in path:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) or next(
            (f for f in model.model_fields.values() if f.alias == part), None)
        if field is None:
            return []
        model = _inner_model(field.annotation)
        if model is None:
            return []
    return [f.alias or name for name, f in model.model_fields.items()]


def _inner_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if found:
                return found
    return None


def _problem(loaded: LoadedCase, err: Any) -> Problem:
    kind = err["type"]
    path = _data_path(loaded.data, err["loc"])
    where = format_path(path)
    if kind == "missing":
        parent = path[:-1]
        field = path[-1] if path else err["loc"][-1]
        prefix = f"{format_path(parent)}: " if parent else ""
        return loaded.problem(parent, f"{prefix}missing required field '{field}'")
    if kind == "extra_forbidden":
        key = str(path[-1])
        parent = path[:-1]
        prefix = f"{format_path(parent)}: " if parent else ""
        hint = did_you_mean(key, _model_fields_at(parent))
        return loaded.problem(path, f"{prefix}unknown field '{key}'{hint}", on_key=True)
    message = _message(kind, err)
    return loaded.problem(path, f"{where}: {message}" if where else message)


def _message(kind: str, err: Any) -> str:
    ctx = err.get("ctx") or {}
    value = err.get("input")
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    if kind == "literal_error":
        expected = ctx.get("expected", "")
        options = [o.strip().strip("'") for o in expected.replace(" or ", ", ").split(",")]
        return f"'{value}' is not one of {expected}" + did_you_mean(str(value), options)
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"expected a whole number, got '{value}'"
    if kind in ("bool_parsing", "bool_type"):
        return f"expected true or false, got '{value}'"
    if kind == "too_short":
        return "at least one entry is required"
    if kind == "greater_than_equal":
        return f"must be at least {ctx.get('ge')}, got '{value}'"
    if kind in ("list_type", "dict_type", "model_type", "model_attributes_type", "string_type"):
        wanted = {"list_type": "a list", "dict_type": "a mapping", "model_type": "a mapping",
                  "model_attributes_type": "a mapping", "string_type": "a string"}[kind]
        return f"expected {wanted}, got {_describe(value)}"
    return str(err["msg"])


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"'{value}'"
