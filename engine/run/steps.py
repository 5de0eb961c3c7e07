"""What a run of the chart did, step by step: the journal both engines keep.

Each :class:`Step` is one micro-step in the order it happened: a state left, a transition
taken, a state entered (Sismic keeps such typed records as ``MicroStep``). A step is a
named pair, so a journal reads as ``for kind, item in journal`` and compares with the
other engine's journal item by item; :attr:`Step.state` and :attr:`Step.transition` give
its item with its type.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from ..model import Transition

StepKind = Literal["exit", "transition", "enter"]


class Step(NamedTuple):
    """One micro-step: ``("exit", state id)``, ``("transition", Transition)`` or
    ``("enter", state id)``."""

    kind: StepKind
    item: str | Transition

    @classmethod
    def exited(cls, state: str) -> Step:
        return cls("exit", state)

    @classmethod
    def took(cls, transition: Transition) -> Step:
        return cls("transition", transition)

    @classmethod
    def entered(cls, state: str) -> Step:
        return cls("enter", state)

    @property
    def state(self) -> str:
        """The state left or entered."""
        if not isinstance(self.item, str):
            raise TypeError(f"a {self.kind} step has a transition, not a state")
        return self.item

    @property
    def transition(self) -> Transition:
        """The transition taken."""
        if isinstance(self.item, str):
            raise TypeError(f"a {self.kind} step has a state, not a transition")
        return self.item


#: The journal of one run: its steps in the order they happened.
Journal = list[Step]


def done_event(state_id: str) -> str:
    """The event raised when a compound or parallel state reaches its final state(s)
    (SCXML's ``done.state.<id>``; python-statemachine's, of the compiled state name)."""
    return f"done.state.{state_id}"
