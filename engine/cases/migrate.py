"""Moving open cases to another version of their process: the texts compared, the plan,
and the move itself (a ``migrate`` input, :mod:`engine.run.migration`).

A plan (``cspr migrate plan FROM TO``) says, for a policy lead to review: the two texts
(process, version, hash); where each step of the old text goes in the new (same ids map
to themselves; a step with no counterpart is listed for the author to map); for each
deadline, named by the step that holds it (``STEP.deadline``: a process may have a
deadline of one id in several steps), whether an open one keeps its due date or is
worked out again under the new rules; and the facts the new version needs, with a
default or marked as required. A plan written before deadlines were named by step says
the id alone: read where one step of the old text has that deadline, refused at its line
where several do. It
has its own JSON Schema (``schemas/migration.schema.json``) and is checked like a
process file, every problem at its line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from ..format.bundle import Bundle, _includes_named, read_bundle
from ..format.loader import LoadError, build, build_cached
from ..frozen import Frozen, field, replace
from ..model import Process
from ..problems import Location, Problem
from ..resources import shipped
from ..run.migration import KEY, Migration, deadline_key
from ..run.record import Core
from ..run.records import CaseRecord, HistoryRow
from .runtime import Refused, Runtime, _check_words, _input_row, _now, record_input

SCHEMA = shipped("schemas", "migration.schema.json")


# -- the texts compared ---------------------------------------------------------------------


class Text(Frozen):
    """A process text named on the command line: its model, hash and how to name it."""

    process: Process
    hash: str
    bundle_json: str
    name: str

    @property
    def label(self) -> str:
        return f"{self.process.id} {self.process.version} ({self.hash[:12]}, {self.name})"


def resolve_text(spec: str, folder: Path, store: Callable[[], Any]) -> tuple[Process, str]:
    """:func:`find_text`'s model and its label (what ``cspr process diff`` takes)."""
    text = find_text(spec, folder, store)
    return text.process, text.label


def find_text(spec: str, folder: Path, store: Callable[[], Any]) -> Text:
    """A process text by version (``cspr@2023``), file path, ``git:REV:PATH`` (a
    committed file), or the hash (8 or more leading characters) of a text a store holds."""
    from ..format.versions import find_version, folder_catalogue

    if spec.startswith("git:"):
        bundle = _git_bundle(spec[4:])
        return _text(bundle, spec)
    path = Path(spec)
    if path.is_file():
        return _text(read_bundle(path), spec)
    if "@" in spec:
        versions = folder_catalogue(folder)
        found = find_version(versions, spec)
        if found is None:
            known = ", ".join(v.name for v in versions) or "none"
            raise Refused(f"no process file in {folder} is {spec} (versions: {known})")
        return _text(read_bundle(found.file), found.file)
    if len(spec) >= 8 and all(c in "0123456789abcdef" for c in spec.lower()):
        return _stored(spec.lower(), store())
    raise Refused(
        f"'{spec}' is not a version (process@version), a process file, git:REV:PATH or "
        "the hash of a stored text"
    )


def _text(bundle: Bundle, name: str) -> Text:
    try:
        process = build_cached(bundle) if not bundle.problems else build(bundle)
    except LoadError as error:
        raise Refused(f"{name} has problems:\n{error}") from None
    return Text(process, bundle.hash, bundle.to_json(), name)


def _stored(prefix: str, store: Any) -> Text:
    rows = store.execute("SELECT hash FROM process_texts").fetchall()
    matches = [row[0] for row in rows if row[0].startswith(prefix)]
    if len(matches) != 1:
        what = "no text" if not matches else f"{len(matches)} texts"
        raise Refused(f"{store.path} holds {what} whose hash starts {prefix}")
    bundle = Bundle.from_json(store.bundle_text(matches[0]))
    if bundle.hash != matches[0]:
        raise Refused(f"the stored text {matches[0][:12]} does not match its hash")
    return _text(bundle, f"stored in {store.path}")


def _git_bundle(spec: str) -> Bundle:
    """``REV:PATH`` read from git, with the files it includes (at the same revision)."""
    rev, _, name = spec.partition(":")
    if not rev or not name:
        raise Refused(f"git:{spec}: write git:REV:PATH, e.g. git:HEAD:processes/cspr.yaml")
    folder, _, main = name.rpartition("/")
    texts: dict[str, str] = {}
    pending = [main]
    while pending:
        item = pending.pop()
        if item in texts:
            continue
        full = f"{folder}/{item}" if folder else item
        done = subprocess.run(
            ["git", "show", f"{rev}:{full}"], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise Refused(f"git cannot show {rev}:{full}: {' '.join(done.stderr.split())}")
        texts[item] = done.stdout
        pending += _includes_named(done.stdout, full)
    return Bundle(main, texts)


# -- the plan -------------------------------------------------------------------------------


class Plan(Frozen):
    """A plan as read (or as made, before an author reviews it)."""

    old: Text
    new: Text
    #: Old step → new step; None: no counterpart yet (a case in it is refused).
    states: Mapping[str, str | None]
    #: ``STEP.deadline`` (the old text's step) → "keep" or "recompute".
    deadlines: Mapping[str, str]
    #: Fact id → {"default": value} or {"required": True}.
    facts: Mapping[str, Mapping[str, Any]]
    #: SHA-256 of the plan file's text (what each moved case records).
    hash: str = ""
    file: str = ""
    notes: tuple[str, ...] = field(default=())

    def migration(self) -> Migration:
        """What the derivation applies, as the history row keeps it."""
        return Migration(
            old_hash=self.old.hash,
            new_hash=self.new.hash,
            old_version=self.old.process.version,
            new_version=self.new.process.version,
            plan=self.hash,
            states=dict(self.states),
            deadlines=dict(self.deadlines),
            defaults={k: v["default"] for k, v in self.facts.items() if "default" in v},
            required=tuple(sorted(k for k, v in self.facts.items() if v.get("required"))),
        )


def make_plan(old: Text, new: Text) -> Plan:
    """A first plan: same ids map to themselves, steps with no counterpart left for the
    author; each deadline (by its step) kept where its rule in the step it maps to is the
    same and worked out again where it changed; each fact the new version has and the old
    does not, marked as required."""
    states: dict[str, str | None] = {
        s: (s if s in new.process.states else None) for s in old.process.states
    }
    deadlines: dict[str, str] = {}
    for deadline in old.process.deadlines():
        target = states.get(deadline.state)
        after = new.process.deadline(target, deadline.id) if target is not None else None
        if after is not None:
            same = after.rule == deadline.rule
            deadlines[deadline_key(deadline.state, deadline.id)] = "keep" if same else "recompute"
    facts = {
        name: {"required": True} for name in new.process.facts if name not in old.process.facts
    }
    return Plan(old, new, states, deadlines, facts)


def plan_yaml(plan: Plan) -> str:
    """A plan as a YAML file an author reviews, with a ``$schema`` line and comments."""
    from ..format.diff import rule_words

    old, new = plan.old, plan.new
    out = [
        "# yaml-language-server: $schema=../schemas/migration.schema.json",
        f"# Moving open cases from {old.label}",
        f"#                     to {new.label}.",
        "# Review every line: `cspr migrate PLAN --all --dry-run` says what it would do.",
        f"migrate: {old.process.id}",
        "from:",
        *_text_yaml(old),
        "to:",
        *_text_yaml(new),
        "# Where each step of the old text goes in the new. A step with no counterpart says",
        "# null: map it to a step of the new text, or a case in it is refused.",
        "states:",
    ]
    for state, target in plan.states.items():
        comment = "" if target is not None else "  # no step of this id in the new text: map it"
        out.append(f"  {state}: {target if target is not None else 'null'}{comment}")
    out += [
        "# For each deadline an open case may have, as STEP.deadline (the step of the old",
        "# text that holds it): keep its due date, or recompute it under the new rules (a",
        "# due date that would fall into the past is refused).",
        "deadlines:" + ("" if plan.deadlines else " {}"),
    ]
    for key, choice in plan.deadlines.items():
        state, _, name = key.partition(".")
        before = old.process.deadline(state, name)
        target = plan.states.get(state)
        after = new.process.deadline(target, name) if target is not None else None
        if before is None or after is None:
            out.append(f"  {key}: {choice}")
            continue
        a, b = rule_words(before.rule), rule_words(after.rule)
        said = f"both: {a}" if a == b else f"{a} → {b}"
        out.append(f"  {key}: {choice}  # {said}")
    out += [
        "# Facts the new text has and the old does not: give a default, or mark it",
        "# required (a case without it is refused), or delete it if a case may go without.",
        "facts:" + ("" if plan.facts else " {}"),
    ]
    for name, spec in plan.facts.items():
        fact = new.process.facts[name]
        out.append(f"  {name}:  # {fact.type}" + (f": {fact.title}" if fact.title else ""))
        if "default" in spec:
            out.append(f"    default: {_yaml_value(spec['default'])}")
        else:
            out.append("    required: true")
    return "\n".join(out) + "\n"


def _text_yaml(text: Text) -> list[str]:
    return [
        f"  process: {text.process.id}",
        f'  version: "{text.process.version}"',
        f"  hash: {text.hash}",
    ]


def _yaml_value(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(str(value))


class PlanError(Exception):
    """A plan that cannot be used; ``problems`` says every reason, at its line."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


def read_plan(path: str | Path, folder: Path, store: Callable[[], Any] | None = None) -> Plan:
    """A plan file, checked: its shape against the schema, then every id against the two
    texts (found by hash in the processes folder, else in the store). Raises
    :class:`PlanError` listing every problem at its line."""
    from ..format import yamlsource
    from ..format.bundle import display_path
    from ..format.shape import shape_problems

    path = Path(path)
    file = display_path(path)
    try:
        text = yamlsource.read_file(path, file)
        document = yamlsource.read(text, file)
    except OSError as error:
        raise PlanError([Problem(Location(file, 1, 1), f"cannot read the plan: {error}")]) from None
    except yamlsource.YamlProblem as error:
        raise PlanError([Problem(error.where, error.message)]) from None
    shape = shape_problems(document, "migration")
    if shape:
        raise PlanError(shape)
    data = document.data
    problems: list[Problem] = []
    texts = []
    for key in ("from", "to"):
        wanted = data[key]
        found = _text_by_hash(wanted["hash"], folder, store)
        if found is None:
            problems.append(
                Problem(
                    document.where((key, "hash")),
                    f"no process file in {folder} (nor the store) has the text "
                    f"{wanted['hash'][:12]} ({wanted['process']} {wanted['version']}); the plan "
                    "was made for a text that has since changed: make the plan again",
                )
            )
        elif (found.process.id, found.process.version) != (
            wanted["process"],
            str(wanted["version"]),
        ):
            problems.append(
                Problem(
                    document.where((key, "version")),
                    f"the text {wanted['hash'][:12]} is {found.process.id} "
                    f"{found.process.version}, not {wanted['process']} {wanted['version']}",
                )
            )
        texts.append(found)
    if problems:
        raise PlanError(problems)
    old, new = texts
    assert old is not None and new is not None
    problems += _check_ids(document, data, old.process, new.process)
    deadlines, wrong = _deadline_keys(document, data, old.process, new.process)
    problems += wrong
    if problems:
        raise PlanError(problems)
    return Plan(
        old,
        new,
        dict(data.get("states") or {}),
        deadlines,
        {k: dict(v) for k, v in (data.get("facts") or {}).items()},
        hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        file=file,
    )


def _check_ids(document: Any, data: Mapping[str, Any], old: Process, new: Process) -> list[Problem]:
    from ..problems import did_you_mean
    from ..run import facts as fact_values

    problems = []
    for state, target in (data.get("states") or {}).items():
        if state not in old.states:
            problems.append(
                Problem(
                    document.where(("states", state), key=True),
                    f"'{state}' is not a step of {old.id} {old.version}"
                    + did_you_mean(state, old.states),
                )
            )
        if target is not None and target not in new.states:
            problems.append(
                Problem(
                    document.where(("states", state)),
                    f"'{target}' is not a step of {new.id} {new.version}"
                    + did_you_mean(target, new.states),
                )
            )
    for name, spec in (data.get("facts") or {}).items():
        if name not in new.facts:
            problems.append(
                Problem(
                    document.where(("facts", name), key=True),
                    f"'{name}' is not a fact of {new.id} {new.version}"
                    + did_you_mean(name, new.facts),
                )
            )
        elif "default" in spec:
            try:
                fact_values.coerce(new, name, spec["default"])
            except fact_values.FactError as error:
                problems.append(Problem(document.where(("facts", name, "default")), str(error)))
    return problems


def _deadline_keys(
    document: Any, data: Mapping[str, Any], old: Process, new: Process
) -> tuple[dict[str, str], list[Problem]]:
    """The plan's deadlines by ``STEP.deadline``, and the problems with its keys.

    A key names a deadline of a step of the old text; the step it maps to in the new
    text (by the plan's ``states``, else the same id) must have a deadline of that id,
    unless the plan maps it nowhere (a case in it is refused anyway). A key without a
    step (a plan written before) is read where one step of the old text has that
    deadline, and refused where several do, at its line."""
    from ..problems import did_you_mean

    mapping = data.get("states") or {}
    named = {deadline_key(d.state, d.id) for d in old.deadlines()}
    holders: dict[str, list[str]] = {}
    for deadline in old.deadlines():
        holders.setdefault(deadline.id, []).append(deadline.state)
    out: dict[str, str] = {}
    problems: list[Problem] = []
    for key, choice in (data.get("deadlines") or {}).items():
        where = document.where(("deadlines", key), key=True)
        state, dot, name = key.partition(".")
        if not dot:
            name, steps = key, holders.get(key, [])
            if not steps:
                problems.append(
                    Problem(
                        where,
                        f"'{key}' is not a deadline of {old.id} {old.version}"
                        + did_you_mean(key, holders),
                    )
                )
                continue
            if len(steps) > 1:
                problems.append(
                    Problem(
                        where,
                        f"'{key}' is ambiguous: {old.id} {old.version} has a deadline {key} in "
                        f"{len(steps)} steps ({', '.join(steps)}); write one line for each, "
                        f"as STEP.{key} (e.g. {deadline_key(steps[0], key)})",
                    )
                )
                continue
            state = steps[0]
        elif key not in named:
            if state not in old.states:
                message = f"'{state}' is not a step of {old.id} {old.version}" + did_you_mean(
                    state, old.states
                )
            else:
                message = f"step '{state}' of {old.id} {old.version} has no deadline '{name}'"
                message += did_you_mean(key, named)
            problems.append(Problem(where, message))
            continue
        qualified = deadline_key(state, name)
        target = mapping.get(state, state if state in new.states else None)
        if target is not None and new.deadline(target, name) is None:
            problems.append(
                Problem(
                    where,
                    f"'{target}' of {new.id} {new.version} (where '{state}' goes) has no "
                    f"deadline '{name}': an open one is closed on the move, so there is "
                    "nothing to keep or recompute; delete this line",
                )
            )
            continue
        if qualified in out:
            problems.append(
                Problem(where, f"'{key}' says again what an earlier line says for {qualified}")
            )
            continue
        out[qualified] = choice
    return out, problems


def _text_by_hash(hash_: str, folder: Path, store: Callable[[], Any] | None) -> Text | None:
    from ..format.versions import folder_catalogue

    for version in folder_catalogue(folder):
        if version.hash == hash_:
            return _text(read_bundle(version.file), version.file)
    if store is not None:
        try:
            return _stored(hash_, store())
        except Refused:
            return None
        except Exception:  # noqa: BLE001 - no store: the text is simply not found
            return None
    return None


# -- moving cases ---------------------------------------------------------------------------


class Verdict(Frozen):
    """What a migration does, or would do, to one case."""

    case: int
    ref: str | None
    ok: bool
    reasons: tuple[str, ...] = ()
    steps_before: tuple[str, ...] = ()
    steps_after: tuple[str, ...] = ()
    #: (step, deadline, due before, due after) for each open deadline, each due an ISO
    #: date or None; the step is the old text's (as the plan names it, ``STEP.deadline``),
    #: or the new text's for a deadline the move arms.
    deadlines: tuple[tuple[str, str, str | None, str | None], ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"case {self.case}" + (f" ({self.ref})" if self.ref else "")

    def as_json(self) -> dict[str, Any]:
        return {
            "case": self.case,
            "ref": self.ref,
            "ok": self.ok,
            "reasons": list(self.reasons),
            "steps_before": list(self.steps_before),
            "steps_after": list(self.steps_after),
            "deadlines": [
                {"step": step, "deadline": name, "due_before": a, "due_after": b}
                for step, name, a, b in self.deadlines
            ],
            "notes": list(self.notes),
        }


class Moved(Frozen):
    """A case and what a move to another text makes of it (``after``: None if refused,
    with the ``reasons``)."""

    before: CaseRecord
    after: CaseRecord | None
    row: HistoryRow | None
    reasons: tuple[str, ...] = ()


def move_case(
    runtime: Runtime,
    case_id: int,
    plan: Plan,
    on: dt.date,
    *,
    apply: bool = False,
    reason: str | None = None,
    by: str | None = None,
) -> Moved:
    """Move a case to the plan's new text (a ``migrate`` input keeping the plan's
    :class:`~engine.run.migration.Migration`), or, without ``apply``, say what moving it
    would do and change nothing. One transaction per case: a case that cannot be moved
    is left as it was, with the reasons."""
    migration = plan.migration()
    given = {KEY: migration.as_json()}
    store = runtime.store
    if not apply:
        return _moved(runtime, store.find(str(case_id)), migration, on, given, reason, by)
    _check_words(by, reason)
    with store.transaction() as db:
        before = store.find(str(case_id))
        new = plan.new
        store.pin_bundle(new.hash, new.process.id, new.process.version, new.bundle_json, _now())
        moved = _moved(runtime, before, migration, on, given, reason, by)
        if moved.after is None or moved.row is None:
            return moved
        saved = store.save(db, before, moved.after, moved.row, _now())
        # The case's row names the text it is now on: written with the move, in the same
        # transaction (the store's update_case writes only what is derived).
        store.execute(
            "UPDATE cases SET process = ?, version = ?, hash = ? WHERE id = ? AND revision = ?",
            (saved.process, saved.version, saved.hash, saved.id, saved.revision),
        )
        return replace(moved, after=saved)


def _moved(
    runtime: Runtime,
    before: CaseRecord,
    migration: Migration,
    on: dt.date,
    given: dict[str, Any],
    reason: str | None,
    by: str | None,
) -> Moved:
    reasons = []
    if before.withdrawn:
        reasons.append("it was withdrawn (opened in error)")
    elif before.closed_on is not None:
        reasons.append(f"it closed on {before.closed_on}; a closed case is not moved")
    elif before.hash != migration.old_hash:
        reasons.append(
            f"it is on {before.process} {before.version} ({before.hash[:12]}), not on the "
            f"plan's {migration.old_version} ({migration.old_hash[:12]})"
        )
    elif on.isoformat() < before.last_on:
        reasons.append(
            f"its latest entry is dated {before.last_on}, after the move on {on.isoformat()}"
        )
    if reasons:
        return Moved(before, None, None, tuple(reasons))
    row = replace(
        _input_row(before.revision + 1, on, by, "migrate", None, reason, {}),
        facts_given=given,
    )
    try:
        outcome = record_input(_core(runtime, before), before, [], row)
    except Refused as error:
        return Moved(before, None, None, tuple(str(error).splitlines()))
    return Moved(before, outcome.case, outcome.row)


#: One core per runtime and text: a core works out what its text's conditions read once,
#: and many cases are moved by the same plan.
_CORES: weakref.WeakKeyDictionary[Runtime, dict[str, Core]] = weakref.WeakKeyDictionary()


def _core(runtime: Runtime, record: CaseRecord) -> Core:
    cores = _CORES.setdefault(runtime, {})
    core = cores.get(record.hash)
    if core is None:
        core = cores[record.hash] = runtime.core(runtime.process_of(record))
    return core


def verdict(runtime: Runtime, moved: Moved, plan: Plan) -> Verdict:
    """A move in words: the steps and each deadline's due date before and after."""
    before, after = moved.before, moved.after
    old = plan.old.process
    new = plan.new.process if after is not None else old
    due_after = {
        (r.state, r.name): r.due for r in (after.deadlines if after else ()) if r.status == "open"
    }
    rows: list[tuple[str, str, str | None, str | None]] = []
    for row in before.deadlines:
        if row.status != "open":
            continue
        target = plan.states.get(row.state, row.state if row.state in new.states else None)
        rows.append((row.state, row.name, row.due, due_after.pop((target or "", row.name), None)))
    rows += [(state, name, None, due) for (state, name), due in due_after.items()]
    return Verdict(
        before.id,
        before.ref,
        after is not None,
        moved.reasons,
        tuple(_leaves(runtime, before)),
        tuple(new.leaves(after.states)) if after is not None else (),
        tuple(rows),
    )


def _leaves(runtime: Runtime, record: CaseRecord) -> list[str]:
    try:
        return runtime.process_of(record).leaves(record.states)
    except Exception:  # noqa: BLE001 - a text not found: the stored steps as they are
        return list(record.states)


def case_ids(runtime: Runtime, plan: Plan, keys: Iterable[str] | None) -> list[int]:
    """The cases named (ids or references), or every open case on the plan's old text."""
    if keys is None:
        return _open_on(runtime.store, plan.old.hash)
    return [runtime.find_case(key).id for key in keys]


def verdicts(
    runtime: Any,
    plan: Plan,
    keys: Iterable[str] | None,
    on: dt.date,
    apply: bool = False,
    reason: str | None = None,
    by: str | None = None,
) -> Iterator[Verdict]:
    """For each case named by ``keys`` (or every open case of the plan's old text): what
    moving it does (``apply``: each moved in its own transaction, a refused one left as
    it was), in case order. Memory stays flat: one case is read at a time."""
    if keys is None:
        ids: Iterable[int] = _open_on(runtime.store, plan.old.hash)
    else:
        ids = [runtime.find_case(key).id for key in keys]
    for case_id in ids:
        moved = move_case(runtime, case_id, plan, on, apply=apply, reason=reason, by=by)
        yield verdict(runtime, moved, plan)


def _open_on(store: Any, hash_: str) -> list[int]:
    """The ids of the open cases pinned to a text (neither closed nor withdrawn)."""
    rows = store.execute(
        "SELECT id FROM cases WHERE hash = ? AND closed_on IS NULL AND withdrawn = 0 ORDER BY id",
        (hash_,),
    ).fetchall()
    return [int(row[0]) for row in rows]
