"""APIerSv1/APIerSv2 action methods: ExecuteAction, SetActions, GetActions, RemoveActions.

Actions set here are stored exactly as a tariff-plan load stores Actions.csv (``TPActions``
in the ``*actions`` partition), through ``ApierService.apply``: all or nothing, and every
subsystem rebuilt from the result. APIerSv2 serves the v1 ExecuteAction and RemoveActions
too (it embeds APIerSv1 in CGRateS).
"""

from __future__ import annotations

from tollgate.accounts.actions import ACTIONS, ActionService
from tollgate.accounts.actions_models import (
    QUEUE_POSTERS,
    AttrExecuteAction,
    AttrGetActions,
    AttrRemoveActions,
    AttrSetActionsV1,
    AttrSetActionsV2,
    EngineAction,
    V1TPAction,
    action_from_tp,
    check_filter,
    engine_action_reply,
    go_float_text,
    queue_poster_error,
    tp_action_reply,
)
from tollgate.apier import PARTITIONS, ApierService
from tollgate.core.api import Api, CallContext, rpc_method
from tollgate.core.errors import (
    ExistsError,
    NotFoundError,
    ServerError,
    TollgateError,
    mandatory_missing,
)
from tollgate.tariffplans import TPAction, TPActions

__all__ = ["APIerSv1Actions", "APIerSv2Actions"]

_PART = next(p for p in PARTITIONS if p.kind == ACTIONS)


def _per_action_missing(identifier: str, obj: object, names: list[str]) -> None:
    """``%s:Action:%s:%v``: v0.10's text for an action missing fields."""
    err = mandatory_missing(obj, names)
    if err is not None:
        raise TollgateError(f"MANDATORY_IE_MISSING:Action:{identifier}:[{' '.join(err.fields)}]")


def _v1_row(act: V1TPAction) -> TPAction:
    """A v1 action (numbers) as the row a load would store (strings)."""
    # *voice Units are nanoseconds: a fraction of one means nothing (and would not parse back)
    voice = act.BalanceType == "*voice"
    units = str(int(act.Units)) if voice else go_float_text(act.Units)
    return TPAction(
        Identifier=act.Identifier,
        BalanceId=act.BalanceId,
        BalanceUuid=act.BalanceUuid,
        BalanceType=act.BalanceType,
        Units=units if act.BalanceType or act.Units else "",
        ExpiryTime=act.ExpiryTime,
        Filter=act.Filter,
        TimingTags=act.TimingTags,
        DestinationIds=act.DestinationIds,
        RatingSubject=act.RatingSubject,
        Categories=act.Categories,
        SharedGroups=act.SharedGroups,
        BalanceWeight=go_float_text(act.BalanceWeight) if act.BalanceWeight is not None else "",
        ExtraParameters=act.ExtraParameters,
        BalanceBlocker=act.BalanceBlocker,
        BalanceDisabled=act.BalanceDisabled,
        Weight=act.Weight,
    )


class _Actions(Api):
    def __init__(self, actions: ActionService, apier: ApierService) -> None:
        self.actions = actions
        self.apier = apier

    async def _execute(self, args: AttrExecuteAction) -> str:
        account_ids = [f"{args.Tenant}:{args.Account}"] if args.Tenant and args.Account else []
        await self.actions.execute(args.ActionsId, account_ids)
        return "OK"

    async def _store(self, actions_id: str, overwrite: bool, rows: list[TPAction]) -> str:
        """Check the rows as a load would, then store them (unless they exist)."""
        for row in rows:
            if row.Identifier in QUEUE_POSTERS:
                raise TollgateError(f"SERVER_ERROR: {queue_poster_error(row.Identifier)}")
            action_from_tp(actions_id, row)
            if row.Filter:
                try:
                    check_filter(row.Filter)
                except TollgateError as exc:
                    raise TollgateError(
                        f"error parsing action {actions_id} filter field: {exc}"
                    ) from None
        if not overwrite and await self.apier.db.get(ACTIONS, actions_id) is not None:
            raise ExistsError()
        group = TPActions(ID=actions_id, Actions=rows)
        await self.apier.apply({ACTIONS: {actions_id: _PART.encode(group)}})
        return "OK"

    async def _remove(self, args: AttrRemoveActions) -> str:
        if args.ActionIDs is None:
            raise NotFoundError()
        await self.apier.apply({}, {ACTIONS: list(dict.fromkeys(args.ActionIDs))})
        return "OK"


class APIerSv1Actions(_Actions):
    """APIerSv1's actions methods."""

    namespace = "APIerSv1"

    @rpc_method("ExecuteAction")
    async def execute_action(self, args: AttrExecuteAction, ctx: CallContext) -> str:
        """Run ``ActionsId`` on ``Tenant:Account`` (on no account when either is empty)."""
        return await self._execute(args)

    @rpc_method("SetActions")
    async def set_actions(self, args: AttrSetActionsV1, ctx: CallContext) -> str:
        """Store an actions profile (numbers for Units and BalanceWeight); EXISTS unless
        ``Overwrite``."""
        if (err := mandatory_missing(args, ("ActionsId", "Actions"))) is not None:
            raise err
        acts = args.Actions or []
        for act in acts:
            required = ["Identifier", "Weight"] + (["Units"] if act.BalanceType else [])
            _per_action_missing(act.Identifier, act, required)
        return await self._store(args.ActionsId, args.Overwrite, [_v1_row(a) for a in acts])

    @rpc_method("GetActions")
    async def get_actions(self, args: str, ctx: CallContext) -> list[TPAction]:
        """The actions of the id ``args`` (a bare string), as ``utils.TPAction`` rows."""
        if not args:
            raise TollgateError("MANDATORY_IE_MISSING ActionsId: ")
        try:
            actions = await self.actions.stored_actions(args)
        except NotFoundError as exc:
            raise ServerError(exc) from None
        now = self.actions.clock()
        return [tp_action_reply(a, now) for a in actions]

    @rpc_method("RemoveActions")
    async def remove_actions(self, args: AttrRemoveActions, ctx: CallContext) -> str:
        """Remove the actions profiles ``ActionIDs`` (NOT_FOUND when the list is missing)."""
        return await self._remove(args)


class APIerSv2Actions(_Actions):
    """APIerSv2's actions methods (v1's ExecuteAction and RemoveActions included)."""

    namespace = "APIerSv2"

    @rpc_method("ExecuteAction")
    async def execute_action(self, args: AttrExecuteAction, ctx: CallContext) -> str:
        """As APIerSv1.ExecuteAction."""
        return await self._execute(args)

    @rpc_method("SetActions")
    async def set_actions(self, args: AttrSetActionsV2, ctx: CallContext) -> str:
        """Store an actions profile given as tariff-plan rows (Units as text)."""
        if (err := mandatory_missing(args, ("ActionsId", "Actions"))) is not None:
            raise err
        acts = args.Actions or []
        for act in acts:
            required = ["Identifier", "Weight"] + (["Units"] if act.BalanceType else [])
            _per_action_missing(act.Identifier, act, required)
        return await self._store(args.ActionsId, args.Overwrite, list(acts))

    @rpc_method("GetActions")
    async def get_actions(
        self, args: AttrGetActions, ctx: CallContext
    ) -> dict[str, list[EngineAction]] | None:
        """The actions of ``ActionIDs`` (all when empty) as ``engine.Action``, paged."""
        if args.ActionIDs:
            keys = [key for key in args.ActionIDs if key]
        else:
            keys = sorted(await self.actions.ids())
        if not keys:
            return None
        offset = min(max(args.Offset, 0), len(keys))
        end = min(offset + args.Limit, len(keys)) if args.Limit else len(keys)
        reply: dict[str, list[EngineAction]] = {}
        for key in sorted(keys[offset:end]):
            try:
                actions = await self.actions.stored_actions(key)
            except NotFoundError as exc:
                raise ServerError(exc) from None
            reply[key] = [engine_action_reply(a) for a in actions]
        return reply

    @rpc_method("RemoveActions")
    async def remove_actions(self, args: AttrRemoveActions, ctx: CallContext) -> str:
        """As APIerSv1.RemoveActions."""
        return await self._remove(args)
