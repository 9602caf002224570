"""Merging configuration documents the way cgr-engine does, file after file.

- Objects merge key by key, at every depth (``caches``, ``data_db.items``, ``rpc_conns``…):
  a later document overrides only the keys it sets. ``null`` means "not set" and changes
  nothing, as a nil pointer does in CGRateS's JSON structs.
- Lists replace the earlier list, except the lists of profiles with an ``id``:
  ``loaders``, ``ers.readers``, ``http_agent`` and the ``request_processors`` of the
  Diameter, RADIUS and DNS agents. There an item whose ``id`` matches an existing item
  merges into it; any other item is appended. A new ``loaders`` or ``ers.readers`` item starts
  as a copy of the default ``*default`` profile, as CGRateS clones its default loader/reader.
- ``cdre`` is a map of export profiles merged per profile id; a new profile starts as a copy of
  the default ``*default`` profile (CGRateS clones ``dfltCdreProfile``).
- ``http.auth_users`` is replaced whole, as CGRateS does.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

__all__ = ["Provenance", "merge_document", "merge_value"]

Provenance = dict[tuple[str, str], str]
"""(section, top-level key) → the source that set it last; key "" for the section itself."""

_ID_LISTS = frozenset(
    {
        ("loaders",),
        ("ers", "readers"),
        ("http_agent",),
        ("diameter_agent", "request_processors"),
        ("radius_agent", "request_processors"),
        ("dns_agent", "request_processors"),
    }
)
_DEFAULT_ID = "*default"
_TEMPLATED_LISTS = frozenset({("loaders",), ("ers", "readers")})
_TEMPLATED_MAPS = frozenset({("cdre",)})
_REPLACED_MAPS = frozenset({("http", "auth_users")})


def _template(defaults: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    """The ``*default`` item under ``path`` in the shipped defaults, or None."""
    node: Any = defaults
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    if isinstance(node, dict):
        return node.get(_DEFAULT_ID)
    if isinstance(node, list):
        for item in node:
            if isinstance(item, dict) and item.get("id") == _DEFAULT_ID:
                return item
    return None


def merge_value(base: Any, over: Any, path: tuple[str, ...], defaults: Mapping[str, Any]) -> Any:
    """``over`` applied on top of ``base`` (neither is modified)."""
    if over is None:
        return copy.deepcopy(base)
    if isinstance(base, dict) and isinstance(over, dict) and path not in _REPLACED_MAPS:
        out = copy.deepcopy(base)
        for key, value in over.items():
            if value is None:
                continue
            if key in out:
                out[key] = merge_value(out[key], value, (*path, key), defaults)
            elif path in _TEMPLATED_MAPS and (tpl := _template(defaults, path)) is not None:
                out[key] = merge_value(tpl, value, (*path, key), defaults)
            else:
                out[key] = merge_value(None, value, (*path, key), defaults)
        return out
    if isinstance(base, list) and isinstance(over, list) and path in _ID_LISTS:
        return _merge_by_id(base, over, path, defaults)
    if isinstance(over, dict):
        return {k: copy.deepcopy(v) for k, v in over.items() if v is not None}
    return copy.deepcopy(over)


def _merge_by_id(
    base: list[Any], over: list[Any], path: tuple[str, ...], defaults: Mapping[str, Any]
) -> list[Any]:
    out = copy.deepcopy(base)
    tpl = _template(defaults, path) if path in _TEMPLATED_LISTS else None
    for item in over:
        if not isinstance(item, dict):
            out.append(copy.deepcopy(item))  # the type check reports it
            continue
        for index, existing in enumerate(out):
            if "id" in item and isinstance(existing, dict) and existing.get("id") == item["id"]:
                out[index] = merge_value(existing, item, (*path, "#item"), defaults)
                break
        else:
            out.append(merge_value(tpl, item, (*path, "#item"), defaults))
    return out


def merge_document(
    merged: dict[str, Any],
    document: Mapping[str, Any],
    source: str,
    provenance: Provenance,
    defaults: Mapping[str, Any],
) -> dict[str, Any]:
    """Apply one document on top of ``merged``; record which keys ``source`` set."""
    out = merge_value(merged, dict(document), (), defaults)
    for section, value in document.items():
        if value is None:
            continue
        provenance[(section, "")] = source
        if isinstance(value, dict):
            for key, item in value.items():
                if item is not None:
                    provenance[(section, key)] = source
    assert isinstance(out, dict)
    return out
