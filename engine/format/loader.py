"""Process files → :class:`~engine.model.Process`, with every problem located.

Loading has three layers, each reporting *all* it finds as ``file:line:col: message``:

1. :mod:`engine.format.yamlsource` reads strict YAML and remembers where every node is;
2. ``schemas/process.schema.json`` checks the shape (:mod:`engine.format.shape` maps its
   errors back to lines);
3. :mod:`engine.format.checks` checks what a schema cannot (targets, names,
   reachability...).

A process and the files it includes travel together as a bundle
(:mod:`engine.format.bundle`: file name → text). A case is pinned to its bundle's hash,
so editing a file never changes a case that is already running.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import posixpath
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import cache
from ..conditions import MAX_LENGTH, Expression, ExpressionError, parse
from ..dates import DateError, parse_date
from ..model import (
    ENTRY,
    Before,
    Condition,
    Deadline,
    DueRule,
    Duration,
    EarliestOf,
    Fact,
    OnDate,
    Process,
    Role,
    Source,
    State,
    Transition,
    Within,
)
from ..problems import Location, Problem, did_you_mean
from .durations import DurationError, parse_duration

if TYPE_CHECKING:  # at run time imported where files are read: a stored model needs no YAML
    from . import yamlsource
from .bundle import (
    AT_INCLUDE,
    MAX_INCLUDE_DEPTH,
    Bundle,
    display_name,
    display_path,
    mapping_or_empty,
    read_bundle,
)
from .shape import SCHEMAS, read_document


def _in_order(problems: Iterable[Problem]) -> list[Problem]:
    """Problems once each, by file, line, column and message (sorted on plain tuples:
    comparing the records themselves is slow when a file has thousands of problems)."""
    unique = {(p.where.file, p.where.line, p.where.column, p.message): p for p in problems}
    return [unique[key] for key in sorted(unique)]


class LoadError(Exception):
    """The process could not be loaded; ``problems`` says every reason."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = _in_order(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def load_process(path: str | Path) -> Process:
    """Load and check a process file; raise :class:`LoadError` listing every problem."""
    path = Path(path)
    if not path.is_file():
        raise LoadError([Problem(Location(str(path), 1, 1), "no such process file")])
    bundle = read_bundle(path)
    return build(bundle, display_dir=display_path(path.parent))


def check_file(path: str | Path) -> list[Problem]:
    """Every problem of a process file and the files it includes (``cspr validate``).

    A bundle of texts found valid before (its model is in the cache folder, or an earlier
    check left a mark there) is not checked again: the mark is named by the hash of every
    text and of the engine's code and schema, so any change to either is checked in full.
    """
    path = Path(path)
    if not path.is_file():
        return [Problem(Location(str(path), 1, 1), "no such process file")]
    bundle = read_bundle(path)
    if not bundle.problems and (
        cache.exists(_cache_name(bundle.hash)) or cache.exists(_valid_mark(bundle.hash))
    ):
        return []
    try:
        build(bundle, display_dir=display_path(path.parent))
    except LoadError as error:
        return list(error.problems)
    cache.write(_valid_mark(bundle.hash), b"")
    return []


def check_file_report(path: str | Path) -> tuple[list[Problem], list[Problem]]:
    """(problems, warnings) of a process file and the files it includes.

    Problems are :func:`check_file`'s; warnings (``checks.warnings``: a declared source no
    rule cites) do not make the file invalid. A bundle found valid before keeps its
    warnings in its mark in the cache folder, so they are not worked out again.
    """
    path = Path(path)
    if not path.is_file():
        return [Problem(Location(str(path), 1, 1), "no such process file")], []
    bundle = read_bundle(path)
    display_dir = display_path(path.parent)
    mark = _valid_mark(bundle.hash)
    if not bundle.problems:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            kept = json.loads(cache.read(mark) or b"null")
            if kept["dir"] == display_dir:
                return [], [
                    Problem(Location(w["file"], w["line"], w["column"]), w["message"])
                    for w in kept["warnings"]
                ]
    process, problems = _Builder(bundle, display_dir).build()
    if problems or process is None:
        return problems, []
    from .checks import warnings

    found = _in_order(warnings(process))
    kept = {"dir": display_dir, "warnings": [w.as_json() for w in found]}
    cache.write(mark, json.dumps(kept).encode("utf-8"))
    return [], found


def _valid_mark(hash_: str) -> str:
    return f"{hash_}-{_engine_stamp()}.valid"


def build(bundle: Bundle, display_dir: str = ".") -> Process:
    """Build the model from a bundle, or raise :class:`LoadError`."""
    process, problems = _Builder(bundle, display_dir).build()
    if problems or process is None:
        raise LoadError(problems)
    return process


@functools.lru_cache(maxsize=32)
def build_cached(bundle: Bundle) -> Process:
    """:func:`build`, remembered per bundle in memory and on disk.

    Building checks the schema (jsonschema is slow to import) and every rule; a bundle
    never changes once hashed, so its model is kept as plain data (never a pickle: see
    :mod:`engine.cache`) in the user's cache folder, keyed by the bundle hash and the
    engine version, and reused by later commands.
    """
    process = _cached_model(bundle.hash)
    if process is None:
        process = build(bundle)
        with contextlib.suppress(TypeError):  # a value plain data cannot hold: not kept
            cache.write(_cache_name(bundle.hash), cache.encode(process))
    _BY_HASH[bundle.hash] = process
    return process


#: Models already in this process, by bundle hash.
_BY_HASH: dict[str, Process] = {}


def process_for_hash(hash_: str, bundle_text: Callable[[], str]) -> Process:
    """The model of the bundle whose hash is ``hash_`` (a case's pinned text).

    The bundle's text is fetched with ``bundle_text()`` and built only when neither this
    process nor the disk cache has the model already: showing or ticking a case needs no
    re-reading or re-hashing of its process text.
    """
    process = _BY_HASH.get(hash_) or _cached_model(hash_)
    if process is None:
        return build_cached(Bundle.from_json(bundle_text()))
    _BY_HASH[hash_] = process
    return process


def _cached_model(hash_: str) -> Process | None:
    data = cache.read(_cache_name(hash_))
    if data is None:
        return None
    with contextlib.suppress(cache.DecodeError):  # a stale or damaged entry is rebuilt
        process = cache.decode(data, _model_records())
        if isinstance(process, Process):
            return process
    return None


@functools.lru_cache(maxsize=1)
def _model_records() -> dict[str, type]:
    """The only classes a model read from the cache folder may be made of."""
    from .. import conditions as expressions
    from .. import model

    names = {
        model: "Location Source Role Fact Condition Duration Within Before OnDate EarliestOf"
        " Deadline Transition State Property Process",
        expressions: "Name Literal ListValue Not And Or Compare IsSet IsActive Expression",
    }
    return {name: getattr(module, name) for module, line in names.items() for name in line.split()}


def _cache_name(hash_: str) -> str:
    return f"{hash_}-{_engine_stamp()}.model.json"


@functools.lru_cache(maxsize=1)
def _engine_stamp() -> str:
    """Changes whenever the engine's model code changes, so old models are not reused.

    Made of each file's size and modification time, as Python checks its own bytecode
    against its source: reading and hashing the files cost more than the rest of a
    ``cspr case show``. The folders are listed with :func:`os.listdir`, not globbed: a
    glob compiles a regular expression first, a few tenths of a millisecond of every
    command."""
    import zlib

    engine = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    sources = [
        *(os.path.join(engine, name) for name in ("model.py", "frozen.py", "cache.py")),
        os.path.join(engine, "problems.py"),
        os.path.join(engine, "dates.py"),
        *_python_files(os.path.join(engine, "conditions")),
        *_python_files(os.path.join(engine, "format")),
    ]
    identity = []
    for path in [*sources, os.fspath(SCHEMAS / "process.schema.json")]:
        stat = os.stat(path)
        identity.append(f"{os.path.basename(path)}:{stat.st_mtime_ns}:{stat.st_size}")
    digest = zlib.crc32("\n".join(identity).encode())
    return f"{digest:08x}"


def _python_files(folder: str) -> list[str]:
    """The ``*.py`` files of ``folder`` (as ``Path.glob`` finds them), in name order."""
    return [
        os.path.join(folder, name) for name in sorted(os.listdir(folder)) if name.endswith(".py")
    ]


# -- the builder --------------------------------------------------------------------------


class _Builder:
    """Turns a bundle into one Process, collecting problems instead of stopping at one."""

    def __init__(self, bundle: Bundle, display_dir: str):
        self.bundle = bundle
        self.display_dir = display_dir
        self.problems: list[Problem] = []
        self.states: dict[str, State] = {}
        self.state_origin: dict[str, Location] = {}
        self.facts: dict[str, Fact] = {}
        self.conditions: dict[str, Condition] = {}
        self.roles: dict[str, Role] = {}
        self.sources: dict[str, Source] = {}
        self.shape_errors = False
        #: Parts the files meant to have are missing (an include that could not be read,
        #: a transition whose condition did not parse): what is reachable cannot be judged.
        self.incomplete = False
        #: Named conditions whose text did not parse: their uses are not unknown names.
        self.unparsed_conditions: set[str] = set()
        self.included_initial: dict[str, str] = {}
        #: Where each condition text starts → its document and path, to place its parts.
        self.condition_texts: dict[Location, tuple[yamlsource.Document, tuple]] = {}

    def display(self, name: str) -> str:
        return display_name(self.display_dir, name)

    def problem(self, where: Location, message: str) -> None:
        self.problems.append(Problem(where, message))

    def build(self) -> tuple[Process | None, list[Problem]]:
        document = self.read(self.bundle.main, Location(self.display(self.bundle.main), 1, 1))
        if document is None or not isinstance(document.data, dict):
            return None, self.problems
        data = document.data
        top = self.add_process_parts(document, parent=None, stack=(self.bundle.main,))
        initial = self.initial_of(document, (), data, top)
        from .versions import check_chosen_by, read_in_force

        in_force, problems = read_in_force(document)
        self.problems.extend(problems)
        from .properties import read_properties

        properties = read_properties(document, self.expression)
        process = Process(
            id=str(data.get("process", "")),
            version=str(data.get("version", "")),
            title=str(data.get("title", "")),
            description=data.get("description"),
            initial=initial or "",
            states=self.states,
            sources=self.sources,
            roles=self.roles,
            facts=self.facts,
            conditions=self.conditions,
            properties=properties,
            file=document.file,
            where=document.where(()),
            **in_force,
        )
        self.problems.extend(check_chosen_by(process))
        if not self.problems or not self.shape_errors:
            from .checks import check

            self.problems.extend(
                check(
                    process,
                    structural=not (self.shape_errors or self.incomplete),
                    unparsed_conditions=frozenset(self.unparsed_conditions),
                    locate=self.locate,
                )
            )
            if properties:
                from .properties import check_properties

                self.problems.extend(check_properties(process))
        return process, _in_order(self.problems)

    def locate(self, when_at: Location, offset: int) -> Location:
        """Where the character at ``offset`` of the condition text starting at ``when_at``
        is written, however the text is quoted or folded."""
        written = self.condition_texts.get(when_at)
        if written is None:
            return Location(when_at.file, when_at.line, when_at.column + offset)
        document, path = written
        return document.text_offset(path, offset)

    # -- files ------------------------------------------------------------------------

    def read(self, name: str, included_at: Location) -> yamlsource.Document | None:
        from . import yamlsource

        file = self.display(name)
        text = self.bundle.texts.get(name)
        if text is None:
            self.unreadable(name, included_at)
            return None
        try:
            document, shape = read_document(text, file)
        except yamlsource.YamlProblem as error:
            self.problem(error.where, error.message)
            return None
        if not isinstance(document.data, dict):
            self.problem(
                Location(file, 1, 1),
                "a process file must be a mapping starting with 'process:', 'version:', "
                "'title:' and 'states:'",
            )
            return None
        self.shape_errors = self.shape_errors or bool(shape)
        self.problems.extend(shape)
        return document

    def unreadable(self, name: str, included_at: Location) -> None:
        """Say why the file ``name`` has no text: where it is refused, or that it is missing."""
        refused = self.bundle.problems.get(name)
        if refused is None:
            self.problem(included_at, f"cannot read '{name}': no such file")
            return
        if refused.where == AT_INCLUDE:
            self.problem(included_at, refused.message)
            return
        # Read relative to the bundle; report under the name the user knows it by.
        where = Location(self.display(name), refused.where.line, refused.where.column)
        self.problem(where, refused.message)

    # -- the parts of one file --------------------------------------------------------

    def add_process_parts(
        self, document: yamlsource.Document, parent: str | None, stack: tuple[str, ...]
    ) -> list[str]:
        """Add a file's sources, roles, facts, conditions and states; return its top states."""
        data = document.data
        for key, value in mapping_or_empty(data.get("sources")).items():
            where = document.where(("sources", key), key=True)
            title = value.get("title") if isinstance(value, dict) else value
            url = value.get("url") if isinstance(value, dict) else None
            self.merge(self.sources, key, Source(key, str(title), url, where), "source")
        for key, value in mapping_or_empty(data.get("roles")).items():
            where = document.where(("roles", key), key=True)
            if isinstance(value, dict):
                role = Role(key, str(value.get("title", key)), value.get("description"), where)
            else:
                role = Role(key, str(value), None, where)
            self.merge(self.roles, key, role, "role")
        for key, value in mapping_or_empty(data.get("facts")).items():
            if not isinstance(value, dict):
                continue
            where = document.where(("facts", key), key=True)
            fact = Fact(
                id=key,
                type=value.get("type", "text"),
                title=value.get("title"),
                description=value.get("description"),
                options=tuple(str(o) for o in value.get("options") or ()),
                source=value.get("source"),
                where=where,
                source_at=document.where(("facts", key, "source")),
            )
            self.merge(self.facts, key, fact, "fact", compare=("type", "options"))
        for key, value in mapping_or_empty(data.get("conditions")).items():
            path: tuple[str | int, ...] = ("conditions", key)
            text = value.get("when") if isinstance(value, dict) else value
            if not isinstance(text, str):
                continue
            if isinstance(value, dict):
                path = (*path, "when")
            expression = self.expression(document, path, text)
            if expression is None:
                self.unparsed_conditions.add(key)
                continue
            details = value if isinstance(value, dict) else {}
            condition = Condition(
                id=key,
                expression=expression,
                when_at=document.text_offset(path, 0),
                title=details.get("title"),
                description=details.get("description"),
                source=details.get("source"),
                where=document.where(("conditions", key), key=True),
                source_at=document.where(("conditions", key, "source")),
                names_at=_names_at(document, path, expression),
            )
            self.merge(self.conditions, key, condition, "condition", compare=("expression",))
        return self.add_states(document, ("states",), data.get("states"), parent, stack)

    def merge(
        self,
        table: dict[str, Any],
        key: str,
        item: Any,
        kind: str,
        compare: tuple[str, ...] = (),
    ) -> None:
        """Add an item; an included file may repeat one only if it says the same."""
        existing = table.get(key)
        if existing is None:
            table[key] = item
            return
        for name in compare:
            if getattr(existing, name) != getattr(item, name):
                self.problem(
                    item.where,
                    f"{kind} '{key}' is also declared at {existing.where} with a different "
                    f"{name}; included files must agree, so make the two declarations the same",
                )
                return

    def expression(
        self, document: yamlsource.Document, path: tuple[str | int, ...], text: str
    ) -> Expression | None:
        try:
            expression = parse(text)
        except ExpressionError as error:
            # A condition too long to read is pointed at where it starts, not at the limit.
            offset = 0 if len(text) > MAX_LENGTH else error.offset
            self.problem(document.text_offset(path, offset), error.message)
            return None
        self.condition_texts[document.text_offset(path, 0)] = (document, path)
        return expression

    def add_states(
        self,
        document: yamlsource.Document,
        path: tuple[str | int, ...],
        states: Any,
        parent: str | None,
        stack: tuple[str, ...],
    ) -> list[str]:
        ids = []
        for state_id, spec in mapping_or_empty(states).items():
            if not isinstance(spec, dict):
                spec = {}
            state_path = (*path, state_id)
            where = document.where(state_path, key=True)
            if state_id in self.states or state_id in self.state_origin:
                first = self.state_origin.get(state_id) or self.states[state_id].where
                self.problem(
                    where,
                    f"state '{state_id}' is already defined at {first}; state ids must be "
                    "unique across a process and the files it includes, so rename one",
                )
                continue
            self.state_origin[state_id] = where
            ids.append(state_id)
            self.add_state(document, state_path, state_id, spec, parent, stack, where)
        return ids

    def add_state(
        self,
        document: yamlsource.Document,
        path: tuple[str | int, ...],
        state_id: str,
        spec: dict[str, Any],
        parent: str | None,
        stack: tuple[str, ...],
        where: Location,
    ) -> None:
        # Hold the parent's place so that ``states`` stays in document order, parents first.
        self.states[state_id] = State(id=state_id, parent=parent, where=where)
        children: list[str] = []
        include = spec.get("include")
        if isinstance(include, str):
            children = self.include(document, path, state_id, include, stack)
        elif "states" in spec:
            children = self.add_states(document, (*path, "states"), spec["states"], state_id, stack)
        declared = spec.get("type")
        if declared in ("parallel", "final"):
            kind = declared
        else:
            kind = "compound" if children else "simple"
        initial = None
        if kind == "compound":
            if include and isinstance(include, str):
                initial = self.included_initial.get(state_id)
            else:
                initial = self.initial_of(document, path, spec, children)
        self.states[state_id] = State(
            id=state_id,
            kind=kind,
            parent=parent,
            children=tuple(children),
            initial=initial,
            title=spec.get("title"),
            description=spec.get("description"),
            by=spec.get("by"),
            force=spec.get("force"),
            source=spec.get("source"),
            include=include if isinstance(include, str) else None,
            deadlines=tuple(self.deadlines(document, path, state_id, spec.get("deadlines"))),
            transitions=tuple(self.transitions(document, path, state_id, spec)),
            where=where,
            by_at=document.where((*path, "by")),
            source_at=document.where((*path, "source")),
        )

    def include(
        self,
        document: yamlsource.Document,
        path: tuple[str | int, ...],
        state_id: str,
        include: str,
        stack: tuple[str, ...],
    ) -> list[str]:
        where = document.where((*path, "include"))
        name = posixpath.normpath(posixpath.join(posixpath.dirname(stack[-1]), include))
        if name in stack:
            loop = " → ".join([*stack, name])
            self.problem(where, f"includes loop back on themselves ({loop}); remove one include")
            self.incomplete = True
            return []
        if len(stack) > MAX_INCLUDE_DEPTH:
            chain = " → ".join([*stack[:2], "...", *stack[-1:], name])
            self.problem(
                where,
                f"includes nest more than {MAX_INCLUDE_DEPTH} files deep ({chain}); "
                "include the files from fewer levels",
            )
            self.incomplete = True
            return []
        included = self.read(name, where)
        if included is None:
            self.incomplete = True
            return []
        children = self.add_process_parts(included, parent=state_id, stack=(*stack, name))
        initial = self.initial_of(included, (), included.data, children)
        if initial:
            self.included_initial[state_id] = initial
        return children

    def initial_of(
        self,
        document: yamlsource.Document,
        path: tuple[str | int, ...],
        spec: dict[str, Any],
        children: list[str],
    ) -> str | None:
        initial = spec.get("initial")
        if initial is None:
            return children[0] if children else None
        if initial not in children:
            self.problem(
                document.where((*path, "initial")),
                f"initial state '{initial}' is not one of {_listing(children)}"
                + did_you_mean(str(initial), children),
            )
            return children[0] if children else None
        return str(initial)

    def deadlines(
        self,
        document: yamlsource.Document,
        path: tuple[str | int, ...],
        state_id: str,
        specs: Any,
    ) -> Iterable[Deadline]:
        for deadline_id, spec in mapping_or_empty(specs).items():
            if not isinstance(spec, dict):
                continue
            deadline_path = (*path, "deadlines", deadline_id)
            rule = self.due_rule(document, deadline_path, spec)
            if rule is None:
                continue
            yield Deadline(
                id=deadline_id,
                state=state_id,
                rule=rule,
                title=spec.get("title"),
                description=spec.get("description"),
                by=spec.get("by"),
                force=spec.get("force", "should"),
                raises=spec.get("raises"),
                minimum=bool(spec.get("minimum", False)),
                met_by=tuple(str(way) for way in spec.get("met_by") or ()),
                source=spec.get("source"),
                where=document.where(deadline_path, key=True),
                by_at=document.where((*deadline_path, "by")),
                source_at=document.where((*deadline_path, "source")),
            )

    def due_rule(
        self, document: yamlsource.Document, path: tuple[str | int, ...], spec: dict[str, Any]
    ) -> DueRule | None:
        if isinstance(spec.get("earliest"), list):
            rules = [
                self.due_rule(document, (*path, "earliest", i), item)
                for i, item in enumerate(spec["earliest"])
                if isinstance(item, dict)
            ]
            # A part that could not be read is reported; the others are still checked.
            return EarliestOf(tuple(r for r in rules if r is not None))
        if "date" in spec:
            try:
                return OnDate(parse_date(str(spec["date"])))
            except DateError as error:
                self.problem(document.where((*path, "date")), str(error))
                # Kept, due never, so that the rest of the deadline is checked too.
                return EarliestOf(())
        for amount_key, base_key, kind in (("within", "from", Within), ("before", "of", Before)):
            if amount_key in spec:
                try:
                    duration = parse_duration(str(spec[amount_key]))
                except DurationError as error:
                    self.problem(document.where((*path, amount_key)), str(error))
                    # Its base is still checked, so that a mistake there is reported in
                    # the same run (the model is refused anyway).
                    duration = _UNREADABLE
                base = spec.get(base_key)
                if not isinstance(base, str):
                    return None
                return kind(duration, base, base_at=document.where((*path, base_key)))
        return None

    def transitions(
        self,
        document: yamlsource.Document,
        path: tuple[str | int, ...],
        state_id: str,
        spec: dict[str, Any],
    ) -> Iterable[Transition]:
        for event, specs in mapping_or_empty(spec.get("on")).items():
            yield from self.transition_list(
                document, (*path, "on", event), state_id, specs, "event", event
            )
        for trigger in ("always", "done"):
            if trigger in spec:
                yield from self.transition_list(
                    document, (*path, trigger), state_id, spec[trigger], trigger, None
                )

    def transition_list(
        self,
        document: yamlsource.Document,
        path: tuple[str | int, ...],
        state_id: str,
        specs: Any,
        trigger: str,
        event: str | None,
    ) -> Iterable[Transition]:
        items = list(enumerate(specs)) if isinstance(specs, list) else [(None, specs)]
        for index, item in items:
            item_path = path if index is None else (*path, index)
            if isinstance(item, str):
                item = {"to": item}
                target_path = item_path
            elif isinstance(item, dict) and isinstance(item.get("to"), str):
                target_path = (*item_path, "to")
            else:
                continue
            guard = None
            when_path = (*item_path, "when")
            when_at = document.where(item_path)
            if isinstance(item.get("when"), str):
                when_at = document.text_offset(when_path, 0)
                guard = self.expression(document, when_path, item["when"])
                if guard is None:
                    self.incomplete = True
                    continue
            yield Transition(
                source_state=state_id,
                target=item["to"],
                trigger=trigger,  # type: ignore[arg-type]
                event=event,
                guard=guard,
                title=item.get("title"),
                description=item.get("description"),
                by=item.get("by"),
                records=item.get("records"),
                source=item.get("source"),
                where=document.where(target_path),
                when_at=when_at,
                by_at=document.where((*item_path, "by")),
                source_at=document.where((*item_path, "source")),
                records_at=document.where((*item_path, "records")),
                names_at=_names_at(document, when_path, guard) if guard is not None else (),
            )


# -- helpers ------------------------------------------------------------------------------

#: Stands for a duration that could not be read, in a model that is refused anyway.
_UNREADABLE = Duration(0, "days")


def _names_at(
    document: yamlsource.Document, path: tuple[str | int, ...], expression: Expression
) -> tuple[Location, ...]:
    """Where each name of the condition text at ``path`` is written, however it is quoted
    or spread over lines (in the order of ``expression.name_offsets``)."""
    return tuple(document.text_offset(path, offset) for _, offset in expression.name_offsets)


def _listing(names: Iterable[str]) -> str:
    names = list(names)
    return ", ".join(f"'{n}'" for n in names) if names else "(none)"


__all__ = [
    "Bundle",
    "LoadError",
    "Problem",
    "build",
    "build_cached",
    "check_file",
    "check_file_report",
    "did_you_mean",
    "load_process",
    "read_bundle",
    "ENTRY",
]
