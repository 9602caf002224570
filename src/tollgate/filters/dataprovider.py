"""DataProvider: the maps a filter or template reads (``~*req.Account``, ``~*vars.*acd``...).

A field path such as ``~*req.Cost.Details[0].Units`` is compiled once into a tuple of
segments (``("*req", "Cost", "Details", 0, "Units")``); reading it walks the maps without
building anything. ``*accounts``, ``*resources`` and ``*stats`` paths name an object held
by another service (``~*accounts.1001.BalanceMap.*monetary[0].Value``): the FilterService
fetches it once per DataProvider before the filters run (:meth:`DataProvider.remote_wanted`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

__all__ = [
    "MISSING",
    "REMOTE_ROOTS",
    "DataProvider",
    "Path",
    "compile_path",
    "remote_ref",
]

Path = tuple[str | int, ...]

# roots whose second segment names an object fetched from a service
REMOTE_ROOTS: Final = frozenset({"*accounts", "*resources", "*stats"})


class _Missing:
    """The value of a path that leads nowhere (CGRateS's NOT_FOUND)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing()

_INDEXED = re.compile(r"(.*)\[(\d+)\]")


def compile_path(text: str) -> Path:
    """``*req.A.B[0]`` (with or without the leading ``~``) as segments; ``[i]`` an int."""
    if text.startswith("~"):
        text = text[1:]
    segments: list[str | int] = []
    for part in text.split("."):
        match = _INDEXED.fullmatch(part)
        if match is None:
            segments.append(part)
        else:
            segments.append(match.group(1))
            segments.append(int(match.group(2)))
    return tuple(segments)


def remote_ref(path: Path) -> tuple[str, str] | None:
    """(root, object id) when ``path`` reads an object of another service, else None."""
    if len(path) >= 2 and path[0] in REMOTE_ROOTS:
        return str(path[0]), str(path[1])
    return None


def _walk(obj: Any, path: Path, start: int) -> Any:
    for index in range(start, len(path)):
        segment = path[index]
        if isinstance(segment, int):
            if isinstance(obj, list | tuple) and -len(obj) <= segment < len(obj):
                obj = obj[segment]
                continue
            return MISSING
        if isinstance(obj, Mapping):
            obj = obj.get(segment, MISSING)
            if obj is MISSING:
                return MISSING
            continue
        # an object (Struct, dataclass) read by field name, as Go's ObjectDP reflects
        obj = getattr(obj, segment, MISSING) if segment and segment[0] != "_" else MISSING
        if obj is MISSING:
            return MISSING
    return obj


class DataProvider:
    """The event maps behind ``~*req``, ``~*vars``, ``~*cgreq``, ``~*cgrep``, ``~*opts``...

    ``req`` is the event itself; the other maps are optional and named by their root
    (``"*vars"``, ...). Remote objects (``*accounts``...) are filled by the FilterService.
    """

    __slots__ = ("_maps", "_remote")

    def __init__(
        self,
        req: Mapping[str, Any] | None = None,
        *,
        vars: Mapping[str, Any] | None = None,
        cgreq: Mapping[str, Any] | None = None,
        cgrep: Mapping[str, Any] | None = None,
        opts: Mapping[str, Any] | None = None,
        maps: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self._maps: dict[str, Any] = {"*req": req if req is not None else {}}
        for root, value in (("*vars", vars), ("*cgreq", cgreq), ("*cgrep", cgrep), ("*opts", opts)):
            if value is not None:
                self._maps[root] = value
        if maps:
            self._maps.update(maps)
        self._remote: dict[tuple[str, str], Any] = {}

    @property
    def req(self) -> Mapping[str, Any]:
        """The event (``*req``)."""
        return self._maps["*req"]  # type: ignore[no-any-return]

    def map(self, root: str) -> Mapping[str, Any] | None:
        """One of the maps by root (``"*req"``), None when not given."""
        return self._maps.get(root)

    def set_map(self, root: str, value: Mapping[str, Any]) -> None:
        """Add or replace the map behind ``root`` (``"*vars"``...)."""
        self._maps[root] = value

    def field(self, path: Path) -> Any:
        """The value at ``path``, or :data:`MISSING`."""
        if not path:
            return MISSING
        root = path[0]
        obj = self._maps.get(root, MISSING) if isinstance(root, str) else MISSING
        if obj is not MISSING:
            return _walk(obj, path, 1)
        if root in REMOTE_ROOTS and len(path) >= 2:
            obj = self._remote.get((root, path[1]), MISSING)  # type: ignore[arg-type]
            if isinstance(obj, Exception):
                raise obj
            return MISSING if obj is MISSING else _walk(obj, path, 2)
        return MISSING

    # -- remote objects (filled by the FilterService) --------------------------------------

    def remote_wanted(self, refs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Those of ``refs`` not fetched yet."""
        return [ref for ref in refs if ref not in self._remote]

    def set_remote(self, ref: tuple[str, str], value: Any) -> None:
        """Hold a fetched object (or the error fetching it raised, re-raised on read)."""
        self._remote[ref] = value

    def keys(self, root: str = "*req", *, nested: bool = False) -> Sequence[str]:
        """The field names of a map; with ``nested`` also ``A.B`` paths into sub-maps."""
        data = self._maps.get(root)
        if not isinstance(data, Mapping):
            return ()
        if not nested:
            return list(data)
        out: list[str] = []
        stack: list[tuple[str, Mapping[str, Any]]] = [("", data)]
        while stack:
            prefix, current = stack.pop()
            for key, value in current.items():
                name = f"{prefix}{key}"
                out.append(name)
                if isinstance(value, Mapping):
                    stack.append((name + ".", value))
        return out
