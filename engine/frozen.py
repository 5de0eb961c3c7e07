"""Frozen records: small immutable value classes that cost almost nothing to define.

``@dataclass(frozen=True)`` writes and compiles an ``__init__``, ``__eq__``, ``__hash__``,
``__repr__`` and ``__setattr__`` for each class when its module is imported: one to two
milliseconds a class, which for the model's thirty-odd classes was a fifth of the time
``cspr case show`` took to start. A :class:`Frozen` subclass is declared the same way, as
annotated fields with defaults after them, and behaves the same, but all classes share one
written-once implementation of each method::

    class Within(Frozen):
        duration: Duration
        base: str
        base_at: Location = field(default=NOWHERE, compare=False)

What a subclass gets, as with a frozen dataclass: a constructor taking the fields in order
(positionally or by name), ``==`` and ``hash()`` over the compared fields of two records
of the same class, a ``repr`` naming the fields, ``<`` and friends with ``order=True``
(``class Location(Frozen, order=True)``), an :class:`AttributeError` on assignment, and a
changed copy with :func:`replace`. Records pickle as their fields, so models cached with
:mod:`pickle` round-trip.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, TypeVar, dataclass_transform

__all__ = ["Frozen", "FrozenError", "field", "replace"]


class FrozenError(AttributeError):
    """Raised on assigning to (or deleting) a field of a frozen record."""


_MISSING: Any = object()


class Field:
    """A field's options, as :func:`field` declares them."""

    __slots__ = ("default", "factory", "compare", "repr")

    def __init__(self, default: Any, factory: Callable[[], Any] | None, compare: bool, repr: bool):
        self.default = default
        self.factory = factory
        self.compare = compare
        self.repr = repr


def field(
    *,
    default: Any = _MISSING,
    default_factory: Callable[[], Any] | None = None,
    compare: bool = True,
    repr: bool = True,
) -> Any:
    """Options for one field: its default (or a function making a fresh one, for a
    mutable default), and whether it takes part in ``==``/``hash()`` and the ``repr``."""
    return Field(default, default_factory, compare, repr)


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
class Frozen:
    """Base class of immutable records declared by annotated fields (see the module)."""

    #: Every field's name, in declaration order (the constructor's argument order).
    _fields: ClassVar[tuple[str, ...]] = ()
    _field_set: ClassVar[frozenset[str]] = frozenset()
    #: The fields ``==``, ``hash()`` and ordering look at.
    _compared: ClassVar[tuple[str, ...]] = ()
    #: The fields ``repr()`` shows.
    _shown: ClassVar[tuple[str, ...]] = ()
    #: Defaults by field name, and functions making defaults afresh.
    _defaults: ClassVar[dict[str, Any]] = {}
    _factories: ClassVar[dict[str, Callable[[], Any]]] = {}

    def __init_subclass__(cls, order: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        own = [
            name
            for name, kind in cls.__dict__.get("__annotations__", {}).items()
            if not str(kind).startswith(("ClassVar", "typing.ClassVar"))
        ]
        fields = [*cls._fields, *(name for name in own if name not in cls._fields)]
        defaults, factories = dict(cls._defaults), dict(cls._factories)
        compared, shown = set(cls._compared), set(cls._shown)
        for name in own:
            value = cls.__dict__.get(name, _MISSING)
            options = value if isinstance(value, Field) else Field(value, None, True, True)
            defaults.pop(name, None)
            factories.pop(name, None)
            if options.factory is not None:
                factories[name] = options.factory
            elif options.default is not _MISSING:
                defaults[name] = options.default
            if isinstance(value, Field):  # the plain default (if any) stays readable
                if options.default is _MISSING:
                    delattr(cls, name)
                else:
                    setattr(cls, name, options.default)
            (compared.add if options.compare else compared.discard)(name)
            (shown.add if options.repr else shown.discard)(name)
        optional = False
        for name in fields:
            if name in defaults or name in factories:
                optional = True
            elif optional:
                raise TypeError(f"{cls.__name__}: field '{name}' has no default but follows one")
        cls._fields = tuple(fields)
        cls._field_set = frozenset(fields)
        cls._compared = tuple(name for name in fields if name in compared)
        cls._shown = tuple(name for name in fields if name in shown)
        cls._defaults, cls._factories = defaults, factories
        if order:
            # Set by name: the comparisons are made here, once, for ordered records only.
            setattr(cls, "__lt__", _ordering(tuple.__lt__))  # noqa: B010
            setattr(cls, "__le__", _ordering(tuple.__le__))  # noqa: B010
            setattr(cls, "__gt__", _ordering(tuple.__gt__))  # noqa: B010
            setattr(cls, "__ge__", _ordering(tuple.__ge__))  # noqa: B010

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        cls = type(self)
        fields = cls._fields
        if len(args) > len(fields):
            raise TypeError(
                f"{cls.__name__}() takes {len(fields)} arguments but {len(args)} were given"
            )
        values = self.__dict__  # written directly: __setattr__ refuses every assignment
        if not args and len(kwargs) == len(fields) and kwargs.keys() == cls._field_set:
            values.update(kwargs)  # every field named: the common case, made quick
            return
        values.update(zip(fields, args, strict=False))  # args may be fewer than fields
        defaults = cls._defaults
        for name in fields[len(args) :]:
            if name in kwargs:
                values[name] = kwargs.pop(name)
            elif name in defaults:
                values[name] = defaults[name]
            elif name in cls._factories:
                values[name] = cls._factories[name]()
            else:
                raise TypeError(f"{cls.__name__}() missing required argument: '{name}'")
        if kwargs:  # the rest name a field given by position, or no field at all
            name = next(iter(kwargs))
            if name in values:
                raise TypeError(f"{cls.__name__}() got multiple values for argument '{name}'")
            raise TypeError(f"{cls.__name__}() got an unexpected keyword argument '{name}'")

    def _key(self) -> tuple[Any, ...]:
        values = self.__dict__
        return tuple([values[name] for name in self._compared])

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        values = self.__dict__
        shown = ", ".join(f"{name}={values[name]!r}" for name in self._shown)
        return f"{type(self).__qualname__}({shown})"

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenError(f"cannot assign to field '{name}': {type(self).__name__} is frozen")

    def __delattr__(self, name: str) -> None:
        raise FrozenError(f"cannot delete field '{name}': {type(self).__name__} is frozen")


def _ordering(compare: Callable[[tuple[Any, ...], tuple[Any, ...]], bool]) -> Any:
    """An ordering method comparing two records' compared fields, as tuples."""

    def method(self: Frozen, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return compare(self._key(), other._key())

    return method


R = TypeVar("R", bound=Frozen)


def replace(record: R, /, **changes: Any) -> R:
    """A copy of ``record`` with some fields changed, as ``dataclasses.replace`` makes."""
    cls = type(record)
    unknown = changes.keys() - cls._field_set
    if unknown:
        raise TypeError(f"{cls.__name__}() got an unexpected keyword argument '{min(unknown)}'")
    copy = object.__new__(cls)
    values = record.__dict__
    # Only the fields: anything else kept beside them (a cached property) may depend on
    # the fields that change.
    copy.__dict__.update({name: values[name] for name in cls._fields}, **changes)
    return copy
