"""A value of the wrong form is explained by what it is, not by another part's rules.

Roles, sources and conditions may each be written as text or as a mapping; deadlines
choose which keys say when they are due. A role written as a number once drew the
deadline's message ("deadline 'x' needs one of: 'within' with 'from'..."), which sends a
policy lead looking for a deadline that is not there.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cspr_engine.format.loader import LoadError, load_process

BASE = Path(__file__).resolve().parent / "broken" / "valid_base.yaml"


def only_message(tmp_path: Path, section: str, entry: str) -> str:
    """The one problem reported when ``entry`` is added at the top of ``section``."""
    text = BASE.read_text(encoding="utf-8").replace(f"\n{section}:\n", f"\n{section}:\n{entry}\n")
    path = tmp_path / "process.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        load_process(path)
    (problem,) = caught.value.problems
    return problem.message


@pytest.mark.parametrize(
    ("section", "entry", "words"),
    [
        ("roles", "  bad: 5", "The role's name in words, or an object"),
        ("sources", "  bad: [1]", "Either the citation in words, or an object"),
        ("conditions", "  bad: 5", "A condition in the condition language, or an object"),
    ],
    ids=["role", "source", "condition"],
)
def test_a_value_of_the_wrong_form_says_which_forms_are_allowed(
    tmp_path: Path, section: str, entry: str, words: str
):
    message = only_message(tmp_path, section, entry)
    assert message.startswith("'bad' is not in a form allowed here.")
    assert words in message
    assert "deadline" not in message


def test_a_deadline_without_a_rule_says_which_keys_it_needs(tmp_path: Path):
    text = BASE.read_text(encoding="utf-8").replace(
        "{within: 5 working days, from: aware_on, source: wt, force: must}",
        "{source: wt, force: must}",
    )
    path = tmp_path / "process.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LoadError) as caught:
        load_process(path)
    (problem,) = caught.value.problems
    assert problem.message == (
        "deadline 'notify_panel' needs one of: 'within' with 'from', 'before' with 'of', "
        "'date', or 'earliest'"
    )
