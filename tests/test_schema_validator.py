"""The process schema's validator reports exactly what jsonschema's own validator does.

``engine.format.shape.schema_validator`` is jsonschema's Draft 2020-12 validator with two
changes: each ``$ref`` into the schema's own ``$defs`` is looked up once, not at every
use, and a plain value found valid against a ``$ref`` is not checked against it again.
Every message about a file's shape is built from the errors it reports, so these tests
compare its errors, in full, with those of ``jsonschema.Draft202012Validator`` on every
file the other tests use and on many small mistakes made in them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cspr_engine.format import shape, yamlsource

ROOT = Path(__file__).resolve().parent.parent
FILES = [
    *sorted((ROOT / "processes").glob("*.yaml")),
    *sorted((ROOT / "tests" / "broken").glob("*.yaml")),
    ROOT / "tests" / "examples" / "mini.yaml",
]
SCENARIOS = sorted((ROOT / "processes" / "scenarios").glob("*.yaml"))


def data_of(path: Path) -> Any:
    return yamlsource.read(path.read_text(encoding="utf-8"), path.name).data


def _reads(path: Path) -> bool:
    try:
        data_of(path)
    except yamlsource.YamlProblem:
        return False
    return True


#: Files refused as YAML before their shape is ever checked: no schema errors to compare.
NOT_YAML = sorted(path.name for path in FILES if not _reads(path))
YAML_FILES = [path for path in FILES if path.name not in NOT_YAML]


def test_the_files_left_out_are_those_refused_as_yaml():
    """Named, so that a file that stops reading as YAML is noticed, not left out quietly."""
    assert NOT_YAML == [
        "duplicate_key.yaml",
        "yaml_indentation.yaml",
        "yaml_unclosed_brace.yaml",
        "yaml_under_indented.yaml",
    ]
    for name in NOT_YAML:
        with pytest.raises(yamlsource.YamlProblem):
            data_of(next(p for p in FILES if p.name == name))


def described(errors: Any) -> list[tuple]:
    """Everything the messages are built from, for each error and the errors under it."""
    return sorted(
        (
            error.validator,
            repr(error.validator_value),
            error.message,
            list(error.absolute_path),
            list(error.absolute_schema_path),
            list(error.relative_schema_path),
            schema_words(error.schema),
            described(error.context),
        )
        for error in errors
    )


def schema_words(schema: Any) -> tuple:
    """What the messages take from the schema an error was found at."""
    if not isinstance(schema, dict):
        return (schema,)
    return (schema.get("title"), schema.get("description"), sorted(schema))


@functools.cache
def jsonschemas_own(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((shape.SCHEMAS / f"{name}.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def assert_same_errors(data: Any, name: str = "process") -> None:
    ours = described(shape.schema_validator(name).iter_errors(data))
    assert ours == described(jsonschemas_own(name).iter_errors(data))


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: p.name)
def test_every_process_file_gets_the_same_errors(path: Path):
    assert_same_errors(data_of(path))


@pytest.mark.parametrize("path", SCENARIOS[:5], ids=lambda p: p.name)
def test_scenario_files_get_the_same_errors(path: Path):
    assert_same_errors(data_of(path), "scenario")


def mistakes(data: Any, path: tuple = ()) -> Iterator[Any]:
    """Copies of ``data`` with one mistake each: at every place, a value of another type,
    a bad id, an unknown key, or a key left out."""
    if isinstance(data, dict):
        yield {**data, "unknown_key": 1}
        for key in data:
            yield {k: v for k, v in data.items() if k != key}
            for changed in mistakes(data[key], (*path, key)):
                yield {**data, key: changed}
    elif isinstance(data, list):
        for i, item in enumerate(data):
            for changed in mistakes(item, (*path, i)):
                yield [*data[:i], changed, *data[i + 1 :]]
    for wrong in (42, {"a": 1}, "Not An Id"):
        if wrong != data:
            yield wrong


def test_small_mistakes_anywhere_get_the_same_errors():
    base = data_of(ROOT / "tests" / "broken" / "valid_base.yaml")
    tried = 0
    for mistaken in mistakes(base):
        assert_same_errors(mistaken)
        tried += 1
    assert tried > 250
