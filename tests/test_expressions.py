"""Tests for the guard language: parsing, refusals, three-valued evaluation and wording."""

from __future__ import annotations

import datetime as dt
import pickle

import pytest
from cspr_engine.conditions import (
    MAX_DEPTH,
    MAX_EVAL_DEPTH,
    MAX_LENGTH,
    MAX_LIST_ITEMS,
    And,
    Compare,
    Context,
    Expression,
    ExpressionError,
    IsActive,
    IsSet,
    ListValue,
    Literal,
    Name,
    Not,
    Or,
    describe,
    line_and_column,
    parse,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

NOTIFIABLE = "abuse_or_neglect in ['known', 'suspected'] and (child_died or seriously_harmed)"


def ctx(active: tuple[str, ...] = (), conditions: dict[str, str] | None = None, **facts):
    """A context from keyword facts and condition texts."""
    parsed = {name: parse(text) for name, text in (conditions or {}).items()}
    return Context(facts=facts, conditions=parsed, active=frozenset(active))


def error(text: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    return caught.value


# -- parsing ----------------------------------------------------------------------------


def test_parses_the_worked_examples() -> None:
    tree = parse(NOTIFIABLE).tree
    assert tree == And(
        (
            Compare(
                "in",
                Name("abuse_or_neglect", 0),
                ListValue((Literal("known", 21), Literal("suspected", 30)), 20),
                17,
            ),
            Or((Name("child_died", 48), Name("seriously_harmed", 62))),
        )
    )
    assert parse("lscb_route is active").tree == IsActive(Name("lscb_route", 0))
    assert parse("lscb_route is not active").tree == IsActive(Name("lscb_route", 0), True)
    assert parse("aware_on is set").tree == IsSet(Name("aware_on", 0))
    assert parse("aware_on is not set").tree == IsSet(Name("aware_on", 0), True)
    assert parse("decided_on >= 2019-09-29").tree == Compare(
        ">=", Name("decided_on", 0), Literal(dt.date(2019, 9, 29), 14), 11
    )


def test_precedence_not_binds_tighter_than_and_than_or() -> None:
    tree = parse("not a and b or c").tree
    assert tree == Or((And((Not(Name("a", 4), 0), Name("b", 10))), Name("c", 15)))
    # 'not' covers a whole comparison, as the grammar says.
    assert parse("not a == 1").tree == Not(Compare("==", Name("a", 4), Literal(1, 9), 6), 0)
    assert parse("a and b and c").tree == And((Name("a", 0), Name("b", 6), Name("c", 12)))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("True", True),
        ("false", False),
        ("False", False),
        ("42", 42),
        ("0.25", 0.25),
        ("'known'", "known"),
        ('"it\'s"', "it's"),
        ("2020-02-29", dt.date(2020, 2, 29)),
    ],
)
def test_literals(text: str, value: object) -> None:
    tree = parse(f"x == {text}").tree
    assert isinstance(tree, Compare)
    assert tree.right == Literal(value, 5)  # type: ignore[arg-type]
    assert type(tree.right.value) is type(value)  # type: ignore[union-attr]


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_comparison_operators(op: str) -> None:
    tree = parse(f"a {op} b").tree
    assert tree == Compare(op, Name("a", 0), Name("b", 3 + len(op)), 2)


def test_lists() -> None:
    assert parse("x in []").tree == Compare("in", Name("x", 0), ListValue((), 5), 2)
    tree = parse("x not in [1, true, 'a', 2019-01-01,]").tree
    assert isinstance(tree, Compare) and tree.op == "not in"
    assert isinstance(tree.right, ListValue)
    assert [item.value for item in tree.right.items] == [1, True, "a", dt.date(2019, 1, 1)]
    # A list-valued fact may follow 'in'.
    assert parse("x in chosen").tree == Compare("in", Name("x", 0), Name("chosen", 5), 2)


def test_names_states_and_offsets() -> None:
    expr = parse("aware_on is set and lscb_route is active and not (child_died or route)")
    assert expr.names == {"aware_on", "child_died", "route"}
    assert expr.states == {"lscb_route"}
    assert expr.name_offsets == (
        ("aware_on", 0),
        ("lscb_route", 20),
        ("child_died", 50),
        ("route", 64),
    )
    # A name both tested as a state and used as a value is in both sets.
    both = parse("review is active and review")
    assert both.names == {"review"} and both.states == {"review"}


def test_whitespace_and_line_breaks_are_allowed() -> None:
    text = "a\n  and\tb\n"
    assert parse(text).tree == And((Name("a", 0), Name("b", 8)))
    assert line_and_column(text, 8) == (2, 7)
    assert line_and_column("abc", 0) == (1, 1)


def test_parse_is_cached_and_expressions_compare_by_text() -> None:
    assert parse("a and b") is parse("a and b")
    assert parse("x == 1") != parse("x == true")
    assert str(parse("a  or b")) == "a  or b"


# -- refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words", "offset"),
    [
        ("a = b", "write '==' to compare", 2),
        ("a && b", "write 'and'", 2),
        ("a & b", "write 'and'", 2),
        ("a || b", "write 'or'", 2),
        ("!a", "write 'not'", 0),
        ("a <> b", "write '!='", 2),
        ("a => b", "write '>='", 2),
        ("f(x)", "calls are not allowed in conditions; write a fact or condition name", 0),
        ("a and ready (x)", "calls are not allowed", 6),
        ("case.status", "attribute access is not allowed", 4),
        ("a[0]", "indexing", 1),
        ("x__y", "'__'", 0),
        ("_x__", "'__'", 0),
        ("lambda", "'lambda' is not part of the condition language", 0),
        ("a and import", "'import' is not part of the condition language", 6),
        ("for", "'for' is not part", 0),
        ("if a", "'if' is not part", 0),
        ("def", "'def' is not part", 0),
        ("class", "'class' is not part", 0),
        ("yield", "'yield' is not part", 0),
        ("await a", "'await' is not part", 0),
        ("exec", "'exec' is not part", 0),
        ("a ** 2", "arithmetic is not part of the condition language", 2),
        ("a + 1", "arithmetic", 2),
        ("a - 1", "arithmetic", 2),
        ("a * 1", "arithmetic", 2),
        ("a / 1", "arithmetic", 2),
        ("a % 1", "arithmetic", 2),
        ("x == 'abc", "no closing quote", 5),
        ('x == "abc\n"', "no closing quote", 5),
        ("a and", "ends too early after 'and'", 5),
        ("a and  \n", "ends too early", 5),
        ("(a", "never closed; add ')'", 0),
        ("x in ['a'", "never closed; add ']'", 5),
        ("a)", "no matching '('", 1),
        ("a $ b", "'$' is not part of the condition language", 2),
        ("a \x00 b", "U+0000", 2),
        ("caf\u00e9", "not part of the condition language", 3),
        ("x == \u2018a\u2019", "straight quotes", 5),
        ("a b", "expected 'and' or 'or' before 'b'", 2),
        ("(a b)", "expected 'and', 'or' or ')' before 'b'", 3),
        ("", "empty", 0),
        ("x == None", "'name is not set'", 5),
        ("a AND b", "write 'and' in lower case", 2),
        ("x is 'a'", "to compare values write '=='", 5),
        ("x is true", "write '== true'", 5),
        ("(a and b) is set", "only a name can come before 'is set'", 10),
        ("a < b < c", "compare two values at a time", 6),
        ("a not b", "must be followed by 'in'", 2),
        ("x == [1]", "can only follow 'in'", 5),
        ("x in 'a'", "square brackets", 5),
        ("x in ('a', 'b')", "square brackets", 5),
        ("x in [known]", "put text in quotes", 6),
        ("x in [[1]]", "cannot hold another list", 6),
        ("x in [1 2]", "separate the values in a list with commas", 8),
        ("a, b", "a comma can only separate the values of a list", 1),
        ("and a", "must come between two conditions", 0),
        ("x == 2019-9-29", "write dates as YYYY-MM-DD", 5),
        ("x == 29/09/2019", "write dates as YYYY-MM-DD", 5),
        ("x == 2019-02-30", "February 2019 has 28 days", 5),
        ("x == 2019-04-31", "April 2019 has 30 days", 5),
        ("x == 2019-13-01", "there is no month 13", 5),
        ("x == 2019-01-00", "no day 0", 5),
        ("x == 1.", "digits after the point", 6),
        ("x == .5", "a digit before the point", 5),
        ("x == 3days", "names start with a letter", 5),
    ],
)
def test_errors_say_what_to_write_and_where(text: str, words: str, offset: int) -> None:
    problem = error(text)
    assert words in problem.message
    assert problem.offset == offset
    assert str(problem) == problem.message


@pytest.mark.parametrize(
    "text",
    [
        "__import__('os').system('x')",
        "facts.__class__",
        "lambda: 1",
        "[x for x in y]",
        "2**999999",
        "open('f')",
        "().__class__.__bases__[0].__subclasses__()",
        "eval('1')",
        "x if y else z",
        "a; import os",
        "{'a': 1}",
        "`a`",
        "a @ b",
    ],
)
def test_python_code_is_refused(text: str) -> None:
    error(text)


def test_length_limit() -> None:
    ok = " or ".join(["a"] * 400)
    assert len(ok) <= MAX_LENGTH
    parse(ok)
    too_long = "a" + " " * MAX_LENGTH
    problem = error(too_long)
    assert "at most 2000 characters" in problem.message
    assert problem.offset == MAX_LENGTH


def test_depth_limit() -> None:
    parse("(" * MAX_DEPTH + "a" + ")" * MAX_DEPTH)
    parse("not " * MAX_DEPTH + "a")
    problem = error("(" * (MAX_DEPTH + 1) + "a" + ")" * (MAX_DEPTH + 1))
    assert "nested too deeply" in problem.message
    assert problem.offset == MAX_DEPTH
    assert "nested too deeply" in error("not " * 30 + "(" * 30 + "a" + ")" * 30).message
    # Depth is nesting, not length: many flat conditions are fine.
    parse(" and ".join(f"(not a{i})" for i in range(100)))


def test_list_limit() -> None:
    items = ", ".join(str(i) for i in range(MAX_LIST_ITEMS))
    parse(f"x in [{items}]")
    problem = error(f"x in [{items}, 100]")
    assert "at most 100 values" in problem.message
    assert problem.offset == len(f"x in [{items}, ")


def test_digit_limit() -> None:
    parse("x == 123456789012345")
    parse("x == 1234567.12345678")
    assert "at most 15 digits" in error("x == 1234567890123456").message
    assert "at most 15 digits" in error("x == 12345678.12345678").message


def test_non_text_is_refused() -> None:
    with pytest.raises(ExpressionError):
        parse(True)  # type: ignore[arg-type]


def test_error_is_a_value_error_and_pickles() -> None:
    problem = error("a = b")
    assert isinstance(problem, ValueError)
    again = pickle.loads(pickle.dumps(problem))
    assert (again.message, again.offset) == (problem.message, problem.offset)


# -- evaluation -------------------------------------------------------------------------

T, F, U = True, False, None
VALUES = [T, F, U]


def truth_facts(a: bool | None, b: bool | None) -> Context:
    return ctx(**{k: v for k, v in {"a": a, "b": b}.items() if v is not None})


@pytest.mark.parametrize("a", VALUES)
@pytest.mark.parametrize("b", VALUES)
def test_kleene_and_or(a: bool | None, b: bool | None) -> None:
    context = truth_facts(a, b)
    expected_and = F if F in (a, b) else (U if U in (a, b) else T)
    expected_or = T if T in (a, b) else (U if U in (a, b) else F)
    assert parse("a and b").evaluate(context) is expected_and
    assert parse("a or b").evaluate(context) is expected_or


@pytest.mark.parametrize(("a", "expected"), [(T, F), (F, T), (U, U)])
def test_kleene_not(a: bool | None, expected: bool | None) -> None:
    assert parse("not a").evaluate(truth_facts(a, None)) is expected


def test_unknown_spreads_through_comparisons() -> None:
    empty = ctx()
    for text in ["x == 1", "x != 1", "x < 2019-01-01", "x in ['a']", "x not in ['a']", "1 == x"]:
        assert parse(text).evaluate(empty) is None, text
    assert parse("x is set").evaluate(empty) is False
    assert parse("x is not set").evaluate(empty) is True
    # A fact recorded as None counts as not recorded.
    assert parse("x is set").evaluate(ctx(x=None)) is False


def test_comparisons() -> None:
    context = ctx(
        decided_on=dt.date(2019, 10, 1),
        abuse="known",
        age=15,
        score=2.5,
        chosen=["a", "b"],
        flag=True,
    )
    expectations = {
        "decided_on >= 2019-09-29": True,
        "decided_on < 2019-09-29": False,
        "decided_on == 2019-10-01": True,
        "abuse in ['known', 'suspected']": True,
        "abuse not in ['known', 'suspected']": False,
        "abuse in []": False,
        "abuse not in []": True,
        "abuse == 'known'": True,
        "abuse != 'known'": False,
        "age < 18": True,
        "age == 15.0": True,
        "score >= 2.5": True,
        "'a' in chosen": True,
        "'c' not in chosen": True,
        "flag == true": True,
        "(age < 18) == flag": True,
        "'a' < 'b'": True,
    }
    for text, expected in expectations.items():
        assert parse(text).evaluate(context) is expected, text


def test_mismatched_types_are_false_not_errors() -> None:
    context = ctx(
        decided_on=dt.datetime(2019, 10, 1, 12, 0),
        name="x",
        flag=True,
        count=3,
        thing=object(),
        tags={"a", 1},
    )
    for text in [
        "decided_on < 'x'",
        "decided_on == 3",
        "decided_on != 'x'",
        "name < 3",
        "flag == 1",
        "flag < false",
        "count in ['3']",
        "count not in ['3']",
        "name in name",
        "thing == thing",
        "thing in [1]",
        "count < thing",
    ]:
        assert parse(text).evaluate(context) is False, text
    # A datetime fact is treated as its date rather than failing to compare.
    assert parse("decided_on == 2019-10-01").evaluate(context) is True
    assert parse("'a' in tags and 1 in tags").evaluate(context) is True


def test_non_boolean_truth_value_is_unknown() -> None:
    context = ctx(name="x", count=1, when=dt.date(2020, 1, 1))
    for text in ["name", "count", "when", "not name", "1", "'x'"]:
        assert parse(text).evaluate(context) is None, text
    assert parse("name and false").evaluate(context) is False
    assert parse("true").evaluate(context) is True


def test_is_active() -> None:
    context = ctx(active=("lscb_route",))
    assert parse("lscb_route is active").evaluate(context) is True
    assert parse("lscb_route is not active").evaluate(context) is False
    assert parse("csp_route is active").evaluate(context) is False


def test_conditions_are_evaluated_recursively() -> None:
    conditions = {"notifiable": NOTIFIABLE, "serious": "notifiable and looked_after"}
    context = ctx(
        conditions=conditions, abuse_or_neglect="known", child_died=True, looked_after=True
    )
    assert parse("serious").evaluate(context) is True
    assert parse("notifiable is set").evaluate(context) is True
    assert parse("serious").holds(context)
    undecided = ctx(conditions=conditions, abuse_or_neglect="known")
    assert parse("serious").evaluate(undecided) is None
    assert parse("notifiable is set").evaluate(undecided) is False
    assert not parse("serious").holds(undecided)


def test_condition_cycles_are_unknown_not_infinite() -> None:
    context = ctx(conditions={"a": "b or x", "b": "a", "me": "me and true"})
    assert parse("a").evaluate(context) is None
    assert parse("me").evaluate(context) is None
    assert parse("not me").evaluate(context) is None
    assert parse("a or true").evaluate(context) is True
    assert "refers back to itself" in parse("me").explain(context)[0]
    # Once x decides it, the cycle no longer matters.
    assert parse("a").evaluate(ctx(conditions={"a": "b or x", "b": "a"}, x=True)) is True


def test_long_condition_chains_do_not_overflow() -> None:
    conditions = {f"c{i}": f"not not c{i + 1}" for i in range(2000)}
    conditions["c2000"] = "x"
    context = ctx(conditions=conditions, x=True)
    assert parse("c0").evaluate(context) in (True, None)
    assert isinstance(parse("c0").explain(context), list)


def test_model_conditions_are_accepted() -> None:
    class Held:
        expression = parse("x")

    context = Context(facts={"x": True}, conditions={"held": Held()})  # type: ignore[dict-item]
    assert parse("held").evaluate(context) is True


# -- explanations -----------------------------------------------------------------------


def test_explain_is_empty_when_true() -> None:
    assert parse("a and b").explain(ctx(a=True, b=True)) == []


def test_explain_main_cases() -> None:
    context = ctx(
        abuse_or_neglect="not_suspected",
        aware_on=dt.date(2019, 10, 1),
        changeover_on=dt.date(2019, 9, 29),
        child_died=False,
        looked_after=True,
        age=19,
        flag="yes",
    )

    def why(text: str) -> list[str]:
        return parse(text).explain(context)

    assert why("abuse_or_neglect in ['known', 'suspected']") == [
        "abuse_or_neglect is 'not_suspected', not one of 'known', 'suspected'"
    ]
    assert why("abuse_or_neglect == 'known'") == [
        "abuse_or_neglect is 'not_suspected', not 'known'"
    ]
    assert why("abuse_or_neglect != 'not_suspected'") == ["abuse_or_neglect is 'not_suspected'"]
    assert why("abuse_or_neglect not in ['not_suspected', 'x']") == [
        "abuse_or_neglect is 'not_suspected', one of 'not_suspected', 'x'"
    ]
    assert why("aware_on < changeover_on") == [
        "aware_on (2019-10-01) is not before changeover_on (2019-09-29)"
    ]
    assert why("age <= 18") == ["age (19) is not at most 18"]
    assert why("child_died") == ["child_died is false"]
    assert why("seriously_harmed") == ["seriously_harmed is not recorded yet"]
    assert why("lscb_route is active") == ["lscb_route is not active"]
    assert why("aware_on is not set") == ["aware_on is already recorded (2019-10-01)"]
    assert why("decided_on is set") == ["decided_on is not recorded yet"]
    assert why("not looked_after") == ["looked_after is true"]
    assert why("not (aware_on > changeover_on)") == [
        "aware_on (2019-10-01) is after changeover_on (2019-09-29)"
    ]
    assert why("flag") == ["flag is 'yes', not true or false"]
    assert why("aware_on == 'x'") == [
        "aware_on (2019-10-01) is a date and 'x' is text, so they cannot be compared"
    ]
    assert why("false") == ["'false' never holds"]
    assert why("child_died or seriously_harmed") == [
        "none of these holds: child_died is false; seriously_harmed is not recorded yet"
    ]
    assert why("looked_after and child_died and decided_on > 2019-01-01") == [
        "child_died is false",
        "decided_on is not recorded yet",
    ]
    assert why("not (looked_after and aware_on is set)") == [
        "all of these hold: looked_after is true; aware_on is already recorded (2019-10-01)"
    ]


def test_explain_nested_conditions() -> None:
    context = ctx(
        conditions={"notifiable": NOTIFIABLE, "serious": "notifiable and looked_after"},
        abuse_or_neglect="not_suspected",
        child_died=False,
        looked_after=True,
    )
    assert parse("notifiable").explain(context) == [
        "condition 'notifiable' does not hold: "
        "abuse_or_neglect is 'not_suspected', not one of 'known', 'suspected'; "
        "(none of these holds: child_died is false; seriously_harmed is not recorded yet)"
    ]
    assert parse("serious").explain(context) == [
        "condition 'serious' does not hold: condition 'notifiable' does not hold: "
        "abuse_or_neglect is 'not_suspected', not one of 'known', 'suspected'; "
        "(none of these holds: child_died is false; seriously_harmed is not recorded yet)"
    ]
    held = ctx(conditions={"notifiable": "x"}, x=True)
    assert parse("not notifiable").explain(held) == ["condition 'notifiable' holds"]
    undecided = ctx(conditions={"notifiable": "x"})
    assert parse("not notifiable").explain(undecided) == [
        "condition 'notifiable' cannot be decided yet: x is not recorded yet"
    ]


# -- describing -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (NOTIFIABLE, "abuse or neglect is known or suspected and (child died or seriously harmed)"),
        ("x in ['a', 'b', 'c']", "x is one of a, b or c"),
        ("x not in ['a', 'b']", "x is neither a nor b"),
        ("not x in ['a']", "x is not a"),
        (
            "aware_on is set and aware_on < changeover_on",
            "aware on is recorded and aware on is before changeover on",
        ),
        ("aware_on is not set", "aware on is not recorded"),
        ("not (aware_on is set)", "aware on is not recorded"),
        ("lscb_route is active", "lscb route is under way"),
        ("not lscb_route is active", "lscb route is not under way"),
        ("decided_on >= 2019-09-29", "decided on is on or after 2019-09-29"),
        ("age < 18", "age is less than 18"),
        ("not child_died", "not child died"),
        ("not (a or b)", "not (a or b)"),
        ("a or b and c", "a or b and c"),
        ("kind == 'not_suspected'", "kind is not suspected"),
        ("flag != true", "flag is not true"),
    ],
)
def test_describe(text: str, words: str) -> None:
    assert describe(parse(text)) == words
    assert describe(text) == words


# -- properties -------------------------------------------------------------------------


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60))
def test_arbitrary_text_parses_or_is_refused(text: str) -> None:
    try:
        result = parse(text)
    except ExpressionError as problem:
        assert 0 <= problem.offset <= len(text)
        assert problem.message
    else:
        assert isinstance(result, Expression)


_ALPHABET = "ab_()[]',=!<>.-+*notandisetv 0123456789\"\n"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=40))
def test_near_miss_text_parses_or_is_refused(text: str) -> None:
    # Text built from the language's own characters reaches deeper into the parser.
    try:
        parse(text)
    except ExpressionError as problem:
        assert 0 <= problem.offset <= len(text)


FACT_NAMES = ["a", "b", "when", "kind", "count", "cond"]

_literal_text = st.one_of(
    st.sampled_from(["true", "false", "True", "False", "0", "15", "2.5", "2019-09-29"]),
    st.sampled_from(["'known'", '"suspected"', "''"]),
)
_list_text = st.lists(_literal_text, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]")


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from(["and", "or"]), children).map(" ".join),
        children.map(lambda c: f"not {c}"),
        children.map(lambda c: f"({c})"),
        st.tuples(children, st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), children).map(
            " ".join
        ),
    )


_name_text = st.sampled_from(FACT_NAMES)
_leaf_text = st.one_of(
    _name_text,
    _literal_text,
    st.tuples(_name_text, st.sampled_from(["in", "not in"]), _list_text).map(" ".join),
    st.tuples(_name_text, st.sampled_from(["in", "not in"]), _name_text).map(" ".join),
    st.tuples(
        _name_text, st.sampled_from(["is set", "is not set", "is active", "is not active"])
    ).map(" ".join),
)
# Comparisons cannot chain, so bracket each generated piece to stay in the grammar.
expression_text = st.recursive(
    _leaf_text, lambda kids: _combine(kids.map(lambda k: f"({k})")), max_leaves=8
)

fact_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=5),
    st.dates(),
    st.datetimes(),
    st.lists(st.one_of(st.integers(), st.text(max_size=3), st.none()), max_size=3),
    st.frozensets(st.text(max_size=3), max_size=3),
    st.builds(object),
    st.just(10**5000),
)


@settings(max_examples=300, deadline=None)
@given(
    text=expression_text,
    facts=st.dictionaries(st.sampled_from(FACT_NAMES), fact_value),
    condition=expression_text,
    active=st.frozensets(st.sampled_from(FACT_NAMES)),
)
def test_generated_expressions_evaluate_and_explain_without_raising(
    text: str, facts: dict[str, object], condition: str, active: frozenset[str]
) -> None:
    expr = parse(text)
    # 'cond' is a condition, possibly referring to itself or to the expression's names.
    context = Context(facts=facts, conditions={"cond": parse(condition)}, active=active)
    result = expr.evaluate(context)
    assert result in (True, False, None)
    reasons = expr.explain(context)
    assert all(isinstance(reason, str) and reason for reason in reasons)
    assert (reasons == []) == (result is True)
    assert isinstance(describe(expr), str)


@settings(max_examples=400, deadline=None)
@given(
    text=expression_text,
    facts=st.dictionaries(st.sampled_from(FACT_NAMES), fact_value),
    condition=expression_text,
    active=st.frozensets(st.sampled_from(FACT_NAMES)),
)
def test_compiled_and_walked_evaluations_agree(
    text: str, facts: dict[str, object], condition: str, active: frozenset[str]
) -> None:
    # Guards are decided through compiled closures; the node-by-node walk (which the
    # explanations use) is the reference they must always agree with.
    from cspr_engine.conditions.evaluate import _Evaluator

    expr = parse(text)
    context = Context(facts=facts, conditions={"cond": parse(condition)}, active=active)
    assert _Evaluator(context).decide(expr.tree) is _Evaluator(context).truth(expr.tree)


@pytest.mark.parametrize("length", [MAX_EVAL_DEPTH - 3, MAX_EVAL_DEPTH - 1, MAX_EVAL_DEPTH + 5])
def test_compiled_and_walked_agree_at_the_depth_limit(length: int) -> None:
    from cspr_engine.conditions.evaluate import _Evaluator

    conditions = {f"c{i}": parse(f"not c{i + 1}") for i in range(length)}
    conditions[f"c{length}"] = parse("a")
    for facts in ({"a": True}, {"a": False}, {}):
        context = Context(facts=facts, conditions=conditions)
        walked = _Evaluator(context).truth(parse("c0").tree)
        assert _Evaluator(context).decide(parse("c0").tree) is walked


@settings(max_examples=300, deadline=None)
@given(
    text=expression_text,
    condition=expression_text,
    runs=st.lists(
        st.tuples(
            st.dictionaries(st.sampled_from(FACT_NAMES), fact_value),
            st.frozensets(st.sampled_from(FACT_NAMES)),
        ),
        min_size=1,
        max_size=4,
    ),
)
def test_a_condition_memo_never_changes_an_answer(
    text: str, condition: str, runs: list[tuple[dict[str, object], frozenset[str]]]
) -> None:
    # The interpreter keeps named conditions' answers by the facts they read; the same
    # memo across many evaluations must answer as a fresh evaluation each time.
    from cspr_engine.conditions import ConditionMemo

    expr = parse(text)
    conditions = {"cond": parse(condition)}
    memo = ConditionMemo(conditions)
    for facts, active in runs * 2:
        fresh = expr.evaluate(Context(facts, conditions, active))
        assert expr.evaluate(Context(facts, conditions, active, memo)) is fresh


def test_the_memo_keeps_facts_apart_by_type_and_steps_by_whether_active() -> None:
    from cspr_engine.conditions import ConditionMemo

    conditions = {"one": parse("a == 1"), "here": parse("s is active and a == 1")}
    memo = ConditionMemo(conditions)
    assert parse("one").evaluate(Context({"a": 1}, conditions, memo=memo)) is True
    assert parse("one").evaluate(Context({"a": True}, conditions, memo=memo)) is False
    for active, expected in ((set(), False), ({"s"}, True), (set(), False)):
        context = Context({"a": 1}, conditions, active, memo)
        assert parse("here").evaluate(context) is expected
    assert memo.plans["here"][:2] == (("a",), ("s",))  # keyed by a's value and s's activity
    cycle = {"p": parse("q"), "q": parse("not p")}
    memo = ConditionMemo(cycle)
    assert parse("p").evaluate(Context({}, cycle, memo=memo)) is None
    assert memo.plans["p"] is None and memo.expression_plans["p"] is None  # never kept
