"""Processes the reliability tests start: writers that race each other or get killed.

Run as ``python -m tests.workers KIND DB ...`` from the repository root. Each writer
prints one JSON line per operation to stdout (flushed), so the test knows what was
accepted, refused, started and finished, and checks the store against it.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import random
import sys
from pathlib import Path
from typing import Any

from cspr_engine.cases.runtime import Refused, Runtime
from cspr_engine.store.database import Store, StoreError

MINI = str(Path(__file__).resolve().parent / "examples" / "mini.yaml")
DAY = dt.date(2019, 12, 23)
FACTS = {"aware_on": "2019-12-20", "child_died": "true", "abuse_or_neglect": "known"}
#: Events of the mini process, each accepted once in a case's life, in this order.
EVENTS = ("panel_notified", "review_done", "published")


def say(**fields: Any) -> None:
    print(json.dumps(fields), flush=True)


def race(db: str, worker: int, count: int, via: str, cases: int) -> None:
    """Operations on one shared case ("ONE") and on ``cases`` shared cases ("MANY-n"),
    through the Python API or the CLI; the worker also opens a case of its own.

    Every operation carries a unique note (``w<worker>-<i>``) to find it in the history.
    """
    with Store(db) as store:
        act = _api(Runtime(store)) if via == "api" else _cli(db)
        act("open", f"OWN-{worker}", None, {}, f"w{worker}-open")
        for i in range(count):
            key = "ONE" if i % 2 else f"MANY-{(worker + i) % cases}"
            if i % 3 == 0:
                act("set", key, None, {"abuse_or_neglect": ["known", "suspected"][i % 2]},
                    f"w{worker}-{i}")  # fmt: skip
            else:
                act("send", key, EVENTS[(worker + i) % 3], {}, f"w{worker}-{i}")


def _api(runtime: Runtime):
    def act(action: str, key: str, event: str | None, facts: dict, tag: str) -> None:
        try:
            if action == "open":
                record = runtime.open(MINI, FACTS, on=DAY, ref=key, note=tag, by=tag)
            elif action == "set":
                record = runtime.set(key, facts, on=DAY, note=tag, by=tag)
            else:
                record = runtime.send(key, event or "", on=DAY, note=tag, by=tag)
        except (Refused, StoreError) as error:
            say(tag=tag, key=key, action=action, event=event, accepted=False, why=str(error))
        else:
            say(tag=tag, key=key, action=action, event=event, accepted=True, rev=record.revision)

    return act


def _cli(db: str):
    from click.testing import CliRunner
    from cspr_engine.cli import main

    runner = CliRunner()

    def act(action: str, key: str, event: str | None, facts: dict, tag: str) -> None:
        common = ["--on", DAY.isoformat(), "--note", tag, "--by", tag]
        given = [f"{k}={v}" for k, v in facts.items()]
        if action == "open":
            args = ["case", "open", MINI, "--ref", key, *common]
            args += [a for k, v in FACTS.items() for a in ("--fact", f"{k}={v}")]
        elif action == "set":
            args = ["case", "set", key, *given, *common]
        else:
            args = ["case", "send", key, event or "", *common]
        result = runner.invoke(main, ["--db", db, *args])
        output = result.output.strip()
        fields = {"tag": tag, "key": key, "action": action, "event": event}
        if result.exit_code == 0:
            # "case N revision R: now in ..." (open prints the case id alone)
            rev = int(output.split()[3].rstrip(":")) if action != "open" else 1
            say(**fields, accepted=True, rev=rev, out=output)
        else:
            say(**fields, accepted=False, why=output, code=result.exit_code)

    return act


def warm_up(db: str) -> None:
    """Import and compile everything a writer needs, so that forked writers start at once
    (opening the store once loads its driver)."""

    Store(db).close()
    with Store(":memory:") as scratch:
        _run(Runtime(scratch), {"action": "open", "ref": "WARM-UP"})
        _run(Runtime(scratch), {"action": "send", "ref": "WARM-UP", "event": "review_done",
                                "on": "2020-01-01"})  # fmt: skip


def fork(folder: str, name: str, work) -> int:
    """Run ``work()`` in a child process whose lines go to ``folder/name.jsonl``."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            sys.stdout = open(Path(folder) / f"{name}.jsonl", "w", buffering=1)  # noqa: SIM115
            work()
            code = 0
        except BaseException:
            import traceback

            traceback.print_exc()
        finally:
            sys.stdout.flush()
            os._exit(code)
    return pid


def race_all(db: str, workers: int, count: int, cases: int, folder: str) -> None:
    """Fork ``workers`` racing writers at once (odd ones through the API, even ones through
    the CLI) and wait for them; exit 1 if any of them failed."""
    warm_up(db)
    pids = [
        fork(folder, f"race-{w}", lambda w=w: race(db, w, count, "api" if w % 2 else "cli", cases))
        for w in range(workers)
    ]
    failed = [pid for pid in pids if os.waitpid(pid, 0)[1] != 0]
    sys.exit(1 if failed else 0)


def zygote(db: str, folder: str) -> None:
    """Import and compile everything once, then on each ``run SEED FIRST`` line read from
    stdin fork a writer (:func:`stream`) whose lines go to ``folder/run-FIRST.jsonl``;
    print its pid, and when it dies (the test kills it), how."""
    warm_up(db)
    say(ready=True)
    for line in sys.stdin:
        _, seed, first = line.split()
        pid = fork(folder, f"run-{first}", functools.partial(stream, db, int(seed), int(first)))
        say(pid=pid)
        _, status = os.waitpid(pid, 0)
        say(exited=pid, signal=os.WTERMSIG(status) if os.WIFSIGNALED(status) else None)


def stream(db: str, seed: int, first: int) -> None:
    """A stream of operations over a few cases, numbered from ``first + 1``; prints
    ``start`` before each and ``done`` (or ``refused``) after it, until it is killed."""
    rng = random.Random(seed)
    with Store(db) as store:
        runtime = Runtime(store)
        n = first
        while True:
            n += 1
            op = _next_op(rng, store, n)
            say(start=n, **op)
            try:
                _run(runtime, op)
            except (Refused, StoreError) as error:
                say(refused=n, why=str(error))
            else:
                say(done=n)


def _next_op(rng: random.Random, store: Store, n: int) -> dict[str, Any]:
    refs = [c.ref for c in store.cases()]
    roll = rng.random()
    tag = f"op-{n}"
    if not refs or roll < 0.1:
        return {"action": "open", "ref": f"CASE-{n}", "tag": tag}
    ref = rng.choice(refs)
    last = store.find(ref).last_on
    on = (dt.date.fromisoformat(last) + dt.timedelta(days=rng.choice([0, 0, 1, 7, 30]))).isoformat()
    if roll < 0.4:
        value = rng.choice(["known", "suspected", "not_suspected"])
        return {"action": "set", "ref": ref, "on": on, "facts": {"abuse_or_neglect": value},
                "tag": tag}  # fmt: skip
    if roll < 0.95:
        event = rng.choice([*EVENTS, "review_late"])
        return {"action": "send", "ref": ref, "on": on, "event": event, "tag": tag}
    return {"action": "tick", "as_of": on}


def _run(runtime: Runtime, op: dict[str, Any]) -> None:
    tag = op.get("tag")
    if op["action"] == "open":
        facts = {**FACTS, "abuse_or_neglect": "suspected"}
        runtime.open(MINI, facts, on=dt.date(2019, 12, 20), ref=op["ref"], note=tag)
    elif op["action"] == "set":
        runtime.set(op["ref"], op["facts"], on=dt.date.fromisoformat(op["on"]), note=tag)
    elif op["action"] == "send":
        runtime.send(op["ref"], op["event"], on=dt.date.fromisoformat(op["on"]), note=tag)
    else:
        runtime.tick(dt.date.fromisoformat(op["as_of"]), by="clock")


if __name__ == "__main__":
    kind, db, *rest = sys.argv[1:]
    if kind == "race":
        race_all(db, int(rest[0]), int(rest[1]), int(rest[2]), rest[3])
    elif kind == "zygote":
        zygote(db, rest[0])
    else:
        raise SystemExit(f"unknown worker {kind}")
