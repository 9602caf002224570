"""A FilterService and AttributeService over an InternalDataDB, and profile builders."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import msgspec

from tollgate import tariffplans as tp
from tollgate.attributes import AttrArgsProcessEvent, AttributeService
from tollgate.core.config import Config, load_config
from tollgate.filters import FilterService
from tollgate.storage.datadb import InternalDataDB

T = "cgrates.org"


def attr(path: str, value: str, kind: str = "*constant", filters: list[str] | None = None) -> Any:
    return tp.TPAttribute(FilterIDs=filters or [], Path=path, Type=kind, Value=value)


def profile(
    profile_id: str,
    *attributes: tp.TPAttribute,
    filters: list[str] | None = None,
    contexts: list[str] | None = None,
    weight: int = 0,
    blocker: bool = False,
    tenant: str = T,
    activation: tuple[str, str] | None = None,
) -> tp.TPAttributeProfile:
    return tp.TPAttributeProfile(
        Tenant=tenant,
        ID=profile_id,
        Contexts=contexts if contexts is not None else ["*any"],
        FilterIDs=filters or [],
        ActivationInterval=(
            tp.TPActivationInterval(ActivationTime=activation[0], ExpiryTime=activation[1])
            if activation
            else None
        ),
        Attributes=list(attributes),
        Blocker=blocker,
        Weight=Decimal(weight),
    )


class AttributesEnv:
    """The services as an engine wires them, reloaded after each write."""

    def __init__(self, db: InternalDataDB, overrides: dict[str, Any] | None = None) -> None:
        self.db = db
        self.cfg: Config = load_config(None).merged(
            {"attributes": {"enabled": True}, **(overrides or {})}
        )
        self.filters = FilterService(lambda: db, cfg=lambda: self.cfg)
        self.attributes = AttributeService(self.filters, cfg=lambda: self.cfg)

    async def put(self, *items: msgspec.Struct, kind: str = "*attribute_profiles") -> None:
        for item in items:
            key = f"{item.Tenant}:{item.ID}"  # type: ignore[attr-defined]
            await self.db.set(kind, key, msgspec.msgpack.encode(item))
        await self.reload()

    async def remove(self, key: str, kind: str = "*attribute_profiles") -> None:
        await self.db.remove(kind, key)
        await self.reload()

    async def reload(self) -> None:
        await self.filters.reload()
        await self.attributes.reload(self.db)

    async def process(self, event: dict[str, Any], **args: Any) -> Any:
        args.setdefault("Tenant", T)
        args.setdefault("ID", "ev1")
        return await self.attributes.process_event(AttrArgsProcessEvent(Event=event, **args))
