"""The method table: literal wire names declared by each subsystem's ``api.py``.

``Api``, ``rpc_method`` and ``CallContext`` live in :mod:`tollgate.core.api` (subsystems
import them from there) and are re-exported here for the RPC layer's users.
"""

from __future__ import annotations

import inspect
import logging
import re
import typing
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import msgspec

from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.wire import decode_any, go_number

__all__ = [
    "Api",
    "ArgDecoder",
    "ArgsError",
    "CallContext",
    "Method",
    "MethodNotFoundError",
    "Router",
    "rpc_method",
]

logger = logging.getLogger(__name__)


class ArgsError(Exception):
    """The params could not be decoded; ``str()`` is Go's text for it."""


class MethodNotFoundError(Exception):
    """Go's ``net/rpc`` texts for a method that is ill-formed or not served."""


# --- argument decoding -------------------------------------------------------------------

_GO_KINDS = {
    "str": "string",
    "int": "number",
    "float": "number",
    "bool": "bool",
    "array": "array",
    "object": "object",
    "null": "null",
}
_VALIDATION = re.compile(
    r"Expected `(?P<exp>[^`]+)`, got `(?P<got>[^`]+)`(?: - at `(?P<at>[^`]+)`)?"
)
_PATH_STEP = re.compile(r"\.([^.\[]+)|\[[^\]]*\]")


def _go_type(tp: Any) -> str:
    """How Go would name the type of a field, for unmarshal error texts."""
    origin = typing.get_origin(tp)
    if tp is bool:
        return "bool"
    if tp is str:
        return "string"
    if tp is int:
        return "int64"
    if tp in (float, Decimal):
        return "float64"
    if origin in (list, tuple, set, frozenset):
        (inner, *_) = typing.get_args(tp) or (Any,)
        return f"[]{_go_type(inner)}"
    if origin is dict:
        key, val = typing.get_args(tp) or (str, Any)
        return f"map[{_go_type(key)}]{_go_type(val)}"
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return f"*{_go_type(args[0])}" if len(args) == 1 else "interface {}"
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return f"{_struct_go_name(tp)}"
    return "interface {}"


def _struct_go_name(tp: type) -> str:
    return str(getattr(tp, "__go_name__", tp.__name__))


def _zero(tp: Any) -> Any:
    if tp in (Any, object, None, type(None)):
        return None
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return msgspec.convert({}, tp)
    origin = typing.get_origin(tp) or tp
    if origin in (list, tuple):
        return []
    if origin is dict:
        return {}
    if tp is str:
        return ""
    if tp in (int, float):
        return 0
    if tp is Decimal:
        return Decimal(0)
    if tp is bool:
        return False
    return None


class ArgDecoder:
    """Decodes ``params`` (a JSON array whose first element is the argument) like Go does.

    Struct field names match case-insensitively when no exact match exists, unknown keys
    are ignored, ``[]`` gives the zero-valued argument, extra elements are ignored.
    """

    __slots__ = ("_exact", "_fast", "_keys", "_lower", "_tp", "_zero", "go_name")

    def __init__(self, tp: Any) -> None:
        self._tp = tp
        self._fast: msgspec.json.Decoder[Any] = msgspec.json.Decoder(
            tuple[tp], float_hook=go_number
        )
        self._zero = _zero(tp)
        self.go_name = _go_type(tp)
        # the top-level keys only, values left undecoded: ~0.7 µs where a regex scan of the
        # whole request took ~7 µs (a GetCost); folding applies to top-level keys anyway
        self._keys: msgspec.json.Decoder[tuple[dict[str, msgspec.Raw]]] = msgspec.json.Decoder(
            tuple[dict[str, msgspec.Raw]]
        )
        if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
            names = [f.encode_name for f in msgspec.structs.fields(tp)]
            self._exact: frozenset[str] = frozenset(names)
            self._lower: dict[str, str] = {n.lower(): n for n in names}
        else:
            self._exact = frozenset()
            self._lower = {}

    def decode(self, params: bytes) -> Any:
        if params == b"[]":
            return self._zero_copy()
        try:
            (value,) = self._fast.decode(params)
        except msgspec.ValidationError as exc:
            return self._slow(params, exc)
        except msgspec.DecodeError as exc:
            raise ArgsError(f"json: {exc}") from exc
        if self._lower and self._needs_case_fold(params):
            return self._slow(params, None)
        return value

    def _zero_copy(self) -> Any:
        if isinstance(self._zero, msgspec.Struct):
            return msgspec.structs.replace(self._zero)
        if isinstance(self._zero, list | dict):
            return type(self._zero)()
        return self._zero

    def _needs_case_fold(self, params: bytes) -> bool:
        """Whether a top-level key names a field in another case (Go's decoder matches
        ``tenant`` to ``Tenant``; msgspec would ignore it)."""
        exact, lower = self._exact, self._lower
        try:
            (keys,) = self._keys.decode(params)
        except (msgspec.ValidationError, msgspec.DecodeError):
            return False  # not an object: the fast decode's value stands
        return any(name not in exact and name.lower() in lower for name in keys)

    def _slow(self, params: bytes, first_error: msgspec.ValidationError | None) -> Any:
        try:
            outer = decode_any(params)
        except msgspec.DecodeError as exc:
            raise ArgsError(f"json: {exc}") from exc
        if not isinstance(outer, list):
            kind = _GO_KINDS.get(_json_kind(outer), "value")
            raise ArgsError(
                f"json: cannot unmarshal {kind} into Go value of type [1]interface {{}}"
            )
        if not outer:
            return self._zero_copy()
        value = outer[0]
        if value is None:
            return self._zero_copy()  # Go leaves the argument zero-valued for [null]
        if self._lower and isinstance(value, dict):
            value = self._fold_keys(value)
        try:
            return msgspec.convert(value, self._tp, strict=True)
        except msgspec.ValidationError as exc:
            raise ArgsError(self._go_error(exc)) from (first_error or exc)

    def _fold_keys(self, value: dict[str, Any]) -> dict[str, Any]:
        exact, lower = self._exact, self._lower
        out: dict[str, Any] = {}
        for key, val in value.items():
            if key in exact:
                out[key] = val
            else:
                name = lower.get(key.lower())
                if name is not None and name not in value:
                    out[name] = val
        return out

    def _go_error(self, exc: msgspec.ValidationError) -> str:
        match = _VALIDATION.search(str(exc))
        if match is None:
            return f"json: {exc}"
        got = _GO_KINDS.get(match["got"], match["got"])
        # "$.AttributeIDs[1]": struct fields by name, None for an array index or map key
        steps = [m.group(1) for m in _PATH_STEP.finditer(match["at"] or "$")]
        fields = [s for s in steps if s is not None]
        if not fields:
            return f"json: cannot unmarshal {got} into Go value of type {self.go_name}"
        struct_name, field_type = self._locate(steps)
        # Go names the innermost struct, the field path from the top, the innermost type
        return (
            f"json: cannot unmarshal {got} into Go struct field "
            f"{struct_name}.{'.'.join(fields)} of type {field_type}"
        )

    def _locate(self, steps: list[str | None]) -> tuple[str, str]:
        tp: Any = self._tp
        owner = _struct_go_name(tp) if isinstance(tp, type) else self.go_name
        for name in steps:
            if name is None:  # into a list element or a map value
                args = typing.get_args(tp)
                tp = _unwrap_optional(args[-1]) if args else Any
                continue
            if not (isinstance(tp, type) and issubclass(tp, msgspec.Struct)):
                break
            owner = _struct_go_name(tp)
            hints = typing.get_type_hints(tp)
            by_wire = {f.encode_name: f.name for f in msgspec.structs.fields(tp)}
            tp = hints.get(by_wire.get(name, name), Any)
            tp = _unwrap_optional(tp)
        return owner, _go_type(tp)


def _unwrap_optional(tp: Any) -> Any:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if typing.get_origin(tp) is not None and len(args) == 1 and type(None) in typing.get_args(tp):
        return args[0]
    return tp


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, str):
        return "str"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float | Decimal):
        return "int"
    return "null"


# --- the table ---------------------------------------------------------------------------


@dataclass(slots=True)
class Method:
    """One served method."""

    name: str
    func: Callable[[Any, CallContext], Any]
    arg_type: Any
    reply_type: Any
    is_async: bool
    args: ArgDecoder
    doc: str = ""
    api: Any = None


@dataclass
class Router:
    """Wire name → :class:`Method`, built once at start; duplicates are refused."""

    _methods: dict[str, Method] = field(default_factory=dict)
    _services: set[str] = field(default_factory=set)

    def add_api(self, api: Api) -> None:
        namespaces = (api.namespace, *api.namespace_aliases)
        if not api.namespace:
            raise ValueError(f"{type(api).__name__} has no namespace")
        for _, func in inspect.getmembers(api, predicate=inspect.ismethod):
            names: tuple[str, ...] | None = getattr(func, "_rpc_names", None)
            if not names:
                continue
            hints = typing.get_type_hints(func)
            params = list(inspect.signature(func).parameters)
            arg_type = hints.get(params[0], Any) if params else Any
            reply_type = hints.get("return", Any)
            if typing.get_origin(reply_type) is Awaitable:
                (reply_type,) = typing.get_args(reply_type)
            decoder = ArgDecoder(arg_type)
            for namespace in namespaces:
                for name in names:
                    self._add(
                        Method(
                            name=f"{namespace}.{name}",
                            func=func,
                            arg_type=arg_type,
                            reply_type=reply_type,
                            is_async=inspect.iscoroutinefunction(func),
                            args=decoder,
                            doc=inspect.getdoc(func) or "",
                            api=api,
                        )
                    )

    def _add(self, method: Method) -> None:
        if method.name in self._methods:
            raise ValueError(f"duplicate RPC method {method.name}")
        self._methods[method.name] = method
        self._services.add(method.name.rsplit(".", 1)[0])

    def remove_api(self, api: Api) -> None:
        """Withdraw an API's methods (a service stopped on reload)."""
        for name in [n for n, m in self._methods.items() if m.api is api]:
            del self._methods[name]
        self._services = {n.rsplit(".", 1)[0] for n in self._methods}

    def subset(self, namespaces: Iterable[str]) -> Router:
        """A router serving only the methods of ``namespaces`` (the BiJSON port's table)."""
        keep = set(namespaces)
        sub = Router()
        for name, method in self._methods.items():
            if name.rsplit(".", 1)[0] in keep:
                sub._add(method)
        return sub

    def get(self, name: str) -> Method | None:
        return self._methods.get(name)

    def lookup(self, name: str) -> Method:
        """The method, or :class:`MethodNotFoundError` with Go's ``net/rpc`` text."""
        method = self._methods.get(name)
        if method is not None:
            return method
        dot = name.rfind(".")
        if dot < 0:
            raise MethodNotFoundError(f"rpc: service/method request ill-formed: {name}")
        if name[:dot] not in self._services:
            raise MethodNotFoundError(f"rpc: can't find service {name}")
        raise MethodNotFoundError(f"rpc: can't find method {name}")

    def names(self) -> list[str]:
        return sorted(self._methods)

    def methods(self) -> list[Method]:
        return [self._methods[n] for n in sorted(self._methods)]

    async def call(self, name: str, args: Any, ctx: CallContext | None = None) -> Any:
        """Call a method in-process with an already-typed argument (``*internal`` conns)."""
        method = self.lookup(name)
        result = method.func(args, ctx or CallContext())
        if method.is_async:
            result = await result
        return result
