"""A process or scenario file against its JSON Schema, each error mapped back to the line
and column where it was written and worded for a policy lead."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..problems import Problem, did_you_mean
from ..resources import shipped

if TYPE_CHECKING:  # at run time imported where files are read: a stored model needs no YAML
    from . import yamlsource
from .bundle import parsed_yaml

SCHEMAS = shipped("schemas")


@functools.lru_cache(maxsize=4)
def schema_validator(name: str = "process") -> Any:
    """The JSON Schema validator for ``schemas/<name>.schema.json``.

    A Draft 2020-12 validator, except that each ``$ref`` into the schema's own ``$defs``
    is looked up once rather than at every use, and a plain value (text, a number, true
    or false) found valid against a reference is not checked against it again: a process
    file reaches such references thousands of times, mostly with the same ids, and
    following them was half of checking a file's shape. What it reports is what
    jsonschema's own validator reports (tests/test_schema_validator.py compares them).
    """
    import jsonschema  # imported here: only loading a file from disk needs it
    import referencing.jsonschema

    text = (SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    draft = jsonschema.Draft202012Validator
    if text.count('"$id"') != 1 or "$dynamic" in text or "$anchor" in text:
        return draft(schema)  # a reference could mean something else in another place
    root = referencing.jsonschema.DRAFT202012.create_resource(schema)
    resolver = referencing.Registry().with_resource(schema["$id"], root).resolver(schema["$id"])
    resolved: dict[str, Any] = {}
    #: (reference, type, value) of plain values found valid against a reference.
    valid: set[tuple[str, type, Any]] = set()

    def ref(validator: Any, ref: str, instance: Any, subschema: Any) -> Iterator[Any]:
        if not ref.startswith("#"):  # not into this schema: resolved as jsonschema does
            yield from draft.VALIDATORS["$ref"](validator, ref, instance, subschema)
            return
        plain = isinstance(instance, _PLAIN) or instance is None
        if plain and (ref, type(instance), instance) in valid:
            return
        if ref not in resolved:
            resolved[ref] = resolver.lookup(ref)
        target = resolved[ref]
        errors = list(validator.descend(instance, target.contents, resolver=target.resolver))
        if plain and not errors:
            valid.add((ref, type(instance), instance))
        yield from errors

    validator_class = jsonschema.validators.extend(draft, {"$ref": ref})
    return validator_class(schema)


#: Values whose validity against a schema depends on nothing but the value and its type.
_PLAIN = (str, int, float, bool)


def shape_problems(document: yamlsource.Document, schema: str = "process") -> list[Problem]:
    """Every schema error in a document, at its YAML line and column, in plain words."""
    validator = schema_validator(schema)
    problems = []
    for error in validator.iter_errors(document.data):
        for leaf in _leaf_errors(error):
            where, message = _describe_schema_error(
                leaf, tuple(leaf.absolute_path), document, validator.schema
            )
            problems.append(Problem(where, message))
    return problems


@functools.lru_cache(maxsize=16)
def read_document(text: str, file: str) -> tuple[yamlsource.Document, tuple[Problem, ...]]:
    """A file's text read as YAML, and its schema errors: remembered, because a process
    included by others (``cspr validate processes/`` reads scr.yaml and cspr.yaml again as
    transitional.yaml's includes) is the same document each time. Documents are only read.
    """
    document = parsed_yaml(text, file)
    shape = tuple(shape_problems(document)) if isinstance(document.data, dict) else ()
    return document, shape


def _leaf_errors(error: Any) -> list[Any]:
    """The most specific schema errors: for oneOf/anyOf, the branch that got furthest."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        best_path = max(len(e.absolute_path) for e in error.context)
        if best_path > len(error.absolute_path):
            deepest = [e for e in error.context if len(e.absolute_path) == best_path]
            return [leaf for e in deepest for leaf in _leaf_errors(e)]
        types = {e.validator for e in error.context}
        if types == {"type"} or error.validator == "anyOf":
            return [error]
        # Same depth: prefer the branch whose type matched (it complains about content).
        matched = [e for e in error.context if e.validator != "type"]
        if matched and len({e.relative_schema_path[0] for e in matched}) == 1:
            return [leaf for e in matched for leaf in _leaf_errors(e)]
    return [error]


_TYPE_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "object": "a mapping of 'key: value' lines",
    "array": "a list",
    "null": "nothing",
}


def _describe_schema_error(
    error: Any, path: tuple, document: yamlsource.Document, root: dict[str, Any]
) -> tuple:
    """A schema error → (location, message a policy lead can act on)."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    title = schema.get("title")
    what = f"'{path[-1]}'" if path else "the file"
    named_key = _named_key(error, path)
    where = document.where(named_key, key=True) if named_key else document.where(path)
    validator = error.validator
    if validator in ("additionalProperties", "unevaluatedProperties"):
        allowed = sorted(schema.get("properties", {}) or _properties_of(error, root))
        extras = (
            [k for k in error.instance if k not in allowed]
            if isinstance(error.instance, dict)
            else []
        )
        if extras:
            key = extras[0]
            where = document.where((*path, key), key=True)
            return where, (
                f"unknown key '{key}'{did_you_mean(key, allowed)}"
                f" (allowed here: {', '.join(allowed)})"
            )
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return where, f"{what} needs '{missing}'"
    if validator == "pattern" and "[a-z][a-z0-9_]" in str(error.validator_value):
        suggestion = _as_id(str(error.instance))
        return where, (
            f"'{error.instance}' is not a valid id: use lower case letters, digits and "
            f"underscores, starting with a letter (for example '{suggestion}')"
        )
    if validator == "enum":
        options = ", ".join(str(v) for v in error.validator_value)
        return where, (
            f"{what} is '{error.instance}'{did_you_mean(str(error.instance), map(str, error.validator_value))}"  # noqa: E501
            f"; write one of: {options}"
        )
    if validator == "type":
        expected = error.validator_value
        expected = expected if isinstance(expected, list) else [expected]
        words = " or ".join(_TYPE_WORDS.get(str(t), str(t)) for t in expected)
        return where, f"{what} should be {words}" + (f" ({title})" if title else "")
    if validator == "oneOf" and _choice_of_keys(error.validator_value):
        return where, (
            f"deadline {what} needs one of: 'within' with 'from', 'before' with 'of', "
            "'date', or 'earliest'"
        )
    if validator == "oneOf":
        description = schema.get("description", "")
        return where, f"{what} is not in a form allowed here. {description}".strip()
    if validator in ("minLength", "minItems", "minProperties"):
        return where, f"{what} is empty" + (f"; {schema.get('description')}" if schema else "")
    return where, f"{what}: {error.message}"


def _choice_of_keys(branches: Any) -> bool:
    """Whether a ``oneOf`` only chooses which keys must be written (a deadline's rule),
    rather than between forms such as text or a mapping (a role, a source)."""
    return isinstance(branches, list) and all(
        isinstance(branch, dict) and list(branch) == ["required"] for branch in branches
    )


def _named_key(error: Any, path: tuple) -> tuple | None:
    """The path of the key an error is about, when it is about a key's name.

    jsonschema reports a ``propertyNames`` error at the mapping holding the key, with the
    key as its instance; the place to edit is the key itself.
    """
    if "propertyNames" in error.absolute_schema_path and isinstance(error.instance, str):
        return (*path, error.instance)
    return None


def _properties_of(error: Any, root: dict[str, Any]) -> list[str]:
    """Properties allowed where ``unevaluatedProperties`` sits under ``allOf`` refs."""
    names: set[str] = set()
    definitions = root.get("$defs", {})
    for part in error.schema.get("allOf", []):
        ref = part.get("$ref", "")
        if ref.startswith("#/$defs/"):
            names.update(definitions[ref.split("/")[-1]].get("properties", {}))
    return sorted(names)


def _as_id(text: str) -> str:
    cleaned = "".join(c if c.isalnum() else "_" for c in text.strip().lower()).strip("_")
    while "__" in cleaned:
        cleaned = cleaned.replace("__", "_")
    if not cleaned or not cleaned[0].isalpha():
        cleaned = "x_" + cleaned
    return cleaned
