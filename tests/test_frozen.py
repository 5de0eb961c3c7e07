"""cspr_engine.frozen: records behave as the frozen dataclasses they replace (construction,
immutability, equality, hashing, ordering, repr, pickling)."""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from cspr_engine.conditions import parse
from cspr_engine.format.loader import build, read_bundle
from cspr_engine.frozen import Frozen, FrozenError, field, replace
from cspr_engine.model import NOWHERE, Transition, Within
from cspr_engine.problems import Location

ROOT = Path(__file__).resolve().parent.parent
PROCESSES = ROOT / "processes"


class Note(Frozen):
    text: str
    count: int = 0
    tags: dict[str, str] = field(default_factory=dict)
    at: Location = field(default=NOWHERE, compare=False)
    secret: str = field(default="", repr=False)


def test_fields_by_position_or_name_with_defaults() -> None:
    note = Note("a", tags={"k": "v"})
    assert (note.text, note.count, note.tags, note.at, note.secret) == (
        "a",
        0,
        {"k": "v"},
        NOWHERE,
        "",
    )
    assert Note(text="b", count=2).count == 2
    assert Note._fields == ("text", "count", "tags", "at", "secret")


def test_default_factory_gives_each_record_its_own_value() -> None:
    first, second = Note("a"), Note("b")
    first.tags["x"] = "y"
    assert second.tags == {}


@pytest.mark.parametrize(
    ("args", "kwargs", "words"),
    [
        ((), {}, "missing required argument: 'text'"),
        (("a",), {"colour": "red"}, "unexpected keyword argument 'colour'"),
        (("a",), {"text": "b"}, "multiple values for argument 'text'"),
        (("a", 1, {}, NOWHERE, "", "extra"), {}, "takes 5 arguments but 6 were given"),
    ],
)
def test_wrong_arguments_are_refused(args: tuple, kwargs: dict, words: str) -> None:
    with pytest.raises(TypeError, match=words):
        Note(*args, **kwargs)


def test_replace_copies_with_some_fields_changed() -> None:
    note = Note("a", 1, tags={"k": "v"}, secret="s")
    changed = replace(note, count=2)
    assert (changed.text, changed.count, changed.tags, changed.secret) == ("a", 2, {"k": "v"}, "s")
    assert note.count == 1
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        replace(note, colour="red")


def test_assignment_and_deletion_are_refused() -> None:
    note = Note("a")
    with pytest.raises(FrozenError, match="cannot assign to field 'text'"):
        note.text = "b"  # type: ignore[misc]
    with pytest.raises(AttributeError):  # FrozenError is an AttributeError, as in dataclasses
        del note.count
    assert note.text == "a" and note.count == 0


def test_equality_and_hash_ignore_uncompared_fields_only() -> None:
    here, there = Location("a.yaml", 1, 1), Location("b.yaml", 9, 9)
    assert Note("a", 1, at=here) == Note("a", 1, at=there)
    with pytest.raises(TypeError):  # hashable only when the compared fields are
        hash(Note("a", 1, at=here))
    assert Note("a", 1) != Note("a", 2)
    assert Note("a", secret="x") != Note("a", secret="y")  # repr=False is still compared
    assert Within.__eq__(Within(None, "x"), "x") is NotImplemented  # type: ignore[arg-type]
    assert hash(Location("a", 1, 2)) == hash(Location("a", 1, 2))
    assert {Location("a", 1, 2), Location("a", 1, 2)} == {Location("a", 1, 2)}
    transition = Transition("s", "t", event="e", by_at=here, where=here)
    assert transition == Transition("s", "t", event="e", by_at=there, where=here)
    assert transition != Transition("s", "t", event="e", by_at=here, where=there)


def test_records_of_different_classes_are_never_equal() -> None:
    class Other(Frozen):
        text: str
        count: int = 0

    assert Note("a", 1) != Other("a", 1)


def test_order_compares_fields_in_order() -> None:
    places = [Location("b", 1, 1), Location("a", 2, 1), Location("a", 1, 5), Location("a", 1, 2)]
    assert sorted(places) == [
        Location("a", 1, 2),
        Location("a", 1, 5),
        Location("a", 2, 1),
        Location("b", 1, 1),
    ]
    assert Location("a", 1, 1) <= Location("a", 1, 1) < Location("a", 1, 2)
    with pytest.raises(TypeError):
        _ = Note("a") < Note("b")  # type: ignore[operator]  # no order=True


def test_repr_names_shown_fields() -> None:
    assert repr(Location("a.yaml", 3, 4)) == "Location(file='a.yaml', line=3, column=4)"
    assert "secret" not in repr(Note("a", secret="s"))
    assert repr(parse("a and b")) == "Expression(text='a and b')"


def test_a_field_without_default_after_one_with_is_refused() -> None:
    with pytest.raises(TypeError, match="'late' has no default but follows one"):

        class Broken(Frozen):
            early: int = 0
            late: int


def test_a_built_model_round_trips_through_pickle() -> None:
    process = build(read_bundle(PROCESSES / "cspr.yaml"))
    again = pickle.loads(pickle.dumps(process, pickle.HIGHEST_PROTOCOL))
    assert again == process
    assert list(again.states) == list(process.states)
    for name, state in process.states.items():
        assert again.states[name].where == state.where
        assert again.states[name].by_at == state.by_at  # uncompared, but kept
    guarded = next(t for t in process.transitions() if t.guard is not None)
    copied = next(t for t in again.transitions() if t.guard is not None)
    assert copied.guard.names == guarded.guard.names  # cached properties work after loading
    with pytest.raises(AttributeError):
        copied.target = "elsewhere"  # type: ignore[misc]


def test_the_model_modules_define_their_classes_without_dataclasses() -> None:
    """Records must stay cheap to define: ``cspr case show`` imports these modules."""
    code = (
        "import sys\n"
        "import cspr_engine.model, cspr_engine.conditions, cspr_engine.run.calendar\n"
        "sys.exit('dataclasses' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr or "cspr_engine.model and friends imported dataclasses"
