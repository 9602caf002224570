"""APIerSv1 ``SetTP*``/``GetTP*``/``GetTP*Ids``/``RemoveTP*`` on the StorDB's account
tables: shared groups, actions, action plans, action triggers and account actions.

Arguments, replies and errors are v0.10's (``apier/v1/tpactions.go`` and its siblings):
missing fields answer ``MANDATORY_IE_MISSING: [..]``, an absent item or an empty id
listing ``NOT_FOUND``; removing what is not there is "OK". Account actions are named
``LoadId:Tenant:Account``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar, cast

from tollgate.apier.tp_api import StorDBSource, found_one, require, tp_ids, tp_store
from tollgate.apier.tp_models import AttrGetTPAccountActions, AttrGetTPIds, AttrGetTPItem
from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.errors import NotFoundError, TollgateError, mandatory_missing
from tollgate.storage.stordb import TariffPlanStore
from tollgate.tariffplans import (
    TPAccountActions,
    TPActionPlan,
    TPActions,
    TPActionTriggers,
    TPSharedGroups,
)

__all__ = ["APIerSv1TPAccounts"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_ACCOUNT_COLUMNS = ("loadid", "tenant", "account")


def _account_actions_filter(account_actions_id: str) -> dict[str, str]:
    """``LoadId:Tenant:Account`` as column filters; v0.10's error text otherwise."""
    parts = account_actions_id.split(":")
    if len(parts) != 3:
        raise TollgateError(f"Wrong TP Account Action Id: {account_actions_id}")
    return dict(zip(_ACCOUNT_COLUMNS, parts, strict=True))


class APIerSv1TPAccounts(Api):
    """The account files of a StorDB tariff plan."""

    namespace = "APIerSv1"

    def __init__(self, stordb: StorDBSource, default_tenant: Callable[[], str]) -> None:
        self._stordb = stordb
        self._default_tenant = default_tenant  # general.default_tenant, read when used

    def _store(self) -> TariffPlanStore:
        return tp_store(self._stordb)

    async def _get(self, model: type[T], table: str, args: AttrGetTPItem) -> T:
        require(args, "TPid", "ID")
        found = await found_one(self._store().get_tp(table, args.TPid, {"tag": args.ID}))
        return cast(T, found)

    async def _remove(self, table: str, args: AttrGetTPItem) -> str:
        require(args, "TPid", "ID")
        await self._store().remove_tp_data(table, args.TPid, {"tag": args.ID})
        return "OK"

    # -- shared groups ------------------------------------------------------------------------

    @rpc_method("SetTPSharedGroups")
    async def set_tp_shared_groups(self, args: TPSharedGroups, ctx: CallContext) -> str:
        require(args, "TPid", "ID", "SharedGroups")
        await self._store().set_tp("tp_shared_groups", [args])
        return "OK"

    @rpc_method("GetTPSharedGroups")
    async def get_tp_shared_groups(self, args: AttrGetTPItem, ctx: CallContext) -> TPSharedGroups:
        return await self._get(TPSharedGroups, "tp_shared_groups", args)

    @rpc_method("GetTPSharedGroupIds")
    async def get_tp_shared_group_ids(self, args: AttrGetTPIds, ctx: CallContext) -> list[str]:
        return await tp_ids(self._store(), "tp_shared_groups", args)

    @rpc_method("RemoveTPSharedGroups")
    async def remove_tp_shared_groups(self, args: AttrGetTPItem, ctx: CallContext) -> str:
        return await self._remove("tp_shared_groups", args)

    # -- actions ------------------------------------------------------------------------------

    @rpc_method("SetTPActions")
    async def set_tp_actions(self, args: TPActions, ctx: CallContext) -> str:
        require(args, "TPid", "ID", "Actions")
        await self._store().set_tp("tp_actions", [args])
        return "OK"

    @rpc_method("GetTPActions")
    async def get_tp_actions(self, args: AttrGetTPItem, ctx: CallContext) -> TPActions:
        return await self._get(TPActions, "tp_actions", args)

    @rpc_method("GetTPActionIds")
    async def get_tp_action_ids(self, args: AttrGetTPIds, ctx: CallContext) -> list[str]:
        return await tp_ids(self._store(), "tp_actions", args)

    @rpc_method("RemoveTPActions")
    async def remove_tp_actions(self, args: AttrGetTPItem, ctx: CallContext) -> str:
        return await self._remove("tp_actions", args)

    # -- action plans -------------------------------------------------------------------------

    @rpc_method("SetTPActionPlan")
    async def set_tp_action_plan(self, args: TPActionPlan, ctx: CallContext) -> str:
        """Each timing needs ActionsId and TimingId (v0.10's own error text names them)."""
        require(args, "TPid", "ID", "ActionPlan")
        for timing in args.ActionPlan:
            if (missing := mandatory_missing(timing, ("ActionsId", "TimingId"))) is not None:
                fields = " ".join(missing.fields)
                raise TollgateError(f"MANDATORY_IE_MISSING:Action:{timing.ActionsId}:[{fields}]")
        await self._store().set_tp("tp_action_plans", [args])
        return "OK"

    @rpc_method("GetTPActionPlan")
    async def get_tp_action_plan(self, args: AttrGetTPItem, ctx: CallContext) -> TPActionPlan:
        return await self._get(TPActionPlan, "tp_action_plans", args)

    @rpc_method("GetTPActionPlanIds")
    async def get_tp_action_plan_ids(self, args: AttrGetTPIds, ctx: CallContext) -> list[str]:
        return await tp_ids(self._store(), "tp_action_plans", args)

    @rpc_method("RemoveTPActionPlan")
    async def remove_tp_action_plan(self, args: AttrGetTPItem, ctx: CallContext) -> str:
        return await self._remove("tp_action_plans", args)

    # -- action triggers ----------------------------------------------------------------------

    @rpc_method("SetTPActionTriggers")
    async def set_tp_action_triggers(self, args: TPActionTriggers, ctx: CallContext) -> str:
        require(args, "TPid", "ID")
        await self._store().set_tp("tp_action_triggers", [args])
        return "OK"

    @rpc_method("GetTPActionTriggers")
    async def get_tp_action_triggers(
        self, args: AttrGetTPItem, ctx: CallContext
    ) -> TPActionTriggers:
        return await self._get(TPActionTriggers, "tp_action_triggers", args)

    @rpc_method("GetTPActionTriggerIds")
    async def get_tp_action_trigger_ids(self, args: AttrGetTPIds, ctx: CallContext) -> list[str]:
        return await tp_ids(self._store(), "tp_action_triggers", args)

    @rpc_method("RemoveTPActionTriggers")
    async def remove_tp_action_triggers(self, args: AttrGetTPItem, ctx: CallContext) -> str:
        return await self._remove("tp_action_triggers", args)

    # -- account actions ----------------------------------------------------------------------

    @rpc_method("SetTPAccountActions")
    async def set_tp_account_actions(self, args: TPAccountActions, ctx: CallContext) -> str:
        """An empty Tenant is ``general.default_tenant``."""
        require(args, "TPid", "LoadId", "Account", "ActionPlanId")
        if not args.Tenant:
            args.Tenant = self._default_tenant()
        await self._store().set_tp("tp_account_actions", [args])
        return "OK"

    @rpc_method("GetTPAccountActions")
    async def get_tp_account_actions(
        self, args: AttrGetTPAccountActions, ctx: CallContext
    ) -> TPAccountActions:
        require(args, "TPid", "AccountActionsId")
        filters = _account_actions_filter(args.AccountActionsId)
        found = await found_one(self._store().get_tp("tp_account_actions", args.TPid, filters))
        return cast(TPAccountActions, found)

    @rpc_method("GetTPAccountActionsByLoadId")
    async def get_tp_account_actions_by_load_id(
        self, args: TPAccountActions, ctx: CallContext
    ) -> list[TPAccountActions]:
        """A load's account actions, narrowed by Tenant and Account when given."""
        require(args, "TPid", "LoadId")
        filters = {"loadid": args.LoadId, "tenant": args.Tenant, "account": args.Account}
        found = await self._store().get_tp("tp_account_actions", args.TPid, filters)
        if not found:
            raise NotFoundError()
        return found

    @rpc_method("GetTPAccountActionLoadIds")
    async def get_tp_account_action_load_ids(
        self, args: AttrGetTPIds, ctx: CallContext
    ) -> list[str]:
        return await tp_ids(self._store(), "tp_account_actions", args, ("loadid",))

    @rpc_method("GetTPAccountActionIds")
    async def get_tp_account_action_ids(self, args: AttrGetTPIds, ctx: CallContext) -> list[str]:
        """``LoadId:Tenant:Account`` of the plan's account actions."""
        return await tp_ids(self._store(), "tp_account_actions", args, _ACCOUNT_COLUMNS)

    @rpc_method("RemoveTPAccountActions")
    async def remove_tp_account_actions(
        self, args: AttrGetTPAccountActions, ctx: CallContext
    ) -> str:
        """v0.10 checks only TPid here, then parses AccountActionsId."""
        require(args, "TPid")
        filters = _account_actions_filter(args.AccountActionsId)
        await self._store().remove_tp_data("tp_account_actions", args.TPid, filters)
        return "OK"
