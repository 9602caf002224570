"""An OpenRPC document describing the method table, from the typed arguments and replies."""

from __future__ import annotations

from typing import Any

import msgspec

from tollgate import __version__
from tollgate.rpc.router import Router

__all__ = ["openrpc_document"]

_REF = "#/components/schemas/{name}"


def openrpc_document(router: Router) -> dict[str, Any]:
    """The OpenRPC 1.2 document for every served method (params is a one-element array)."""
    methods = router.methods()
    types: list[Any] = []
    for method in methods:
        types.append(method.arg_type)
        types.append(method.reply_type)
    schemas, components = msgspec.json.schema_components(types, ref_template=_REF)
    described = []
    for index, method in enumerate(methods):
        arg_schema, reply_schema = schemas[2 * index], schemas[2 * index + 1]
        described.append(
            {
                "name": method.name,
                "summary": method.doc.split("\n", 1)[0] if method.doc else "",
                "paramStructure": "by-position",
                "params": [{"name": "args", "required": True, "schema": arg_schema}],
                "result": {"name": "reply", "schema": reply_schema},
            }
        )
    return {
        "openrpc": "1.2.6",
        "info": {
            "title": "Tollgate JSON-RPC",
            "version": __version__,
            "description": "CGRateS v0.10 compatible JSON-RPC 1.0 (Go net/rpc framing): "
            'requests are {"method", "params": [args], "id"}; replies are '
            '{"id", "result", "error"} with error a plain string.',
        },
        "methods": described,
        "components": {"schemas": components},
    }
