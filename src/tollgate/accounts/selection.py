"""Which balances may pay for a call, best first: CGRateS's ``getBalancesForPrefix`` and
``getAlldBalancesForPrefix`` (shared groups), with ``GetUniqueSharedGroupMembers``."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping

from tollgate.accounts.balances import is_expired
from tollgate.accounts.debit_models import DebitContext, Held, PrefixesFn, Where
from tollgate.accounts.models import Account, Balance, BalanceType
from tollgate.accounts.shared_groups import order_by_strategy
from tollgate.accounts.timings import compiled_timings
from tollgate.rating import CallDescriptor, ToR

__all__ = [
    "all_balances_for_prefix",
    "balances_for_prefix",
    "is_active",
    "member_ids",
]

logger = logging.getLogger(__name__)

_ANY = "*any"
_MONETARY = BalanceType.MONETARY
_GENERIC = BalanceType.GENERIC


# -- which balances may pay ---------------------------------------------------------------


def is_active(balance: Balance, at: int, tz: dt.tzinfo) -> bool:
    """``Balance.IsActiveAt``: not disabled, and one of its timings (if any) active.

    ``Timings`` are filled from the balance's ``TimingIDs`` when it is set
    (:mod:`tollgate.accounts.timings`)."""
    if balance.Disabled:
        return False
    if not balance.Timings:
        return True
    return any(t.is_active_at(at, tz) for t in compiled_timings(balance.Timings))


def _precision(dests: Mapping[str, bool], number: str, prefixes_of: PrefixesFn) -> int:
    """How a balance bound to ``dests`` matches ``number``: the length of the matching
    prefix, -1 when a negated destination excludes it, 0 when nothing matches."""
    all_exclude = not any(dests.values())
    for prefix, dest_ids in prefixes_of(number):
        found, all_include = False, True
        for dest_id in dest_ids:
            if dest_id in dests:
                found = True
                all_include = all_include and dests[dest_id]
        if found or all_exclude:
            return len(prefix) if all_include else -1
    return 0


def balances_for_prefix(
    acc: Account, kind: str, where: Where, prefixes_of: PrefixesFn, *, shared_group: str = ""
) -> list[Held]:
    """``Account.getBalancesForPrefix``: the account's balances of ``kind`` (units kinds
    add ``*generic``) that may pay, best first (destination precision, then weight)."""
    balance_map = acc.BalanceMap or {}
    pool = [(kind, b) for b in balance_map.get(kind) or ()]
    if kind not in (_MONETARY, _GENERIC):
        pool += [(_GENERIC, b) for b in balance_map.get(_GENERIC) or ()]
    useful: list[Held] = []
    for held_kind, b in pool:
        if b.Disabled:
            continue
        if is_expired(b, where.at) or (not b.SharedGroups and b.Value <= 0 and not b.Blocker):
            continue
        if shared_group and not b.SharedGroups.get(shared_group):
            continue
        if b.Categories and not b.Categories.get(where.category):
            continue
        dests = b.DestinationIDs
        if dests and not dests.get(_ANY):
            precision = _precision(dests, where.destination, prefixes_of)
            if precision > 0:
                useful.append(Held(b, acc, held_kind, precision))
        else:
            useful.append(Held(b, acc, held_kind))
    useful.sort(key=lambda h: (-h.precision, -h.balance.Weight))
    return useful


def all_balances_for_prefix(ctx: DebitContext, acc: Account, kind: str, where: Where) -> list[Held]:
    """``getAlldBalancesForPrefix``: a shared-group balance stands for the balances of every
    member of the group (disabled members left out), in the group's strategy order."""
    out: list[Held] = []
    for held in balances_for_prefix(acc, kind, where, ctx.prefixes_of):
        if not held.balance.SharedGroups:
            out.append(held)
            continue
        for group_id in held.balance.SharedGroups:
            group = ctx.groups.get(group_id)
            if group is None:
                logger.warning("Could not get shared group: %s", group_id)
                continue
            shared: list[Held] = []
            for member_id in group.members:
                member = acc if member_id == acc.ID else ctx.accounts.get(member_id)
                if member is None or (member is not acc and member.Disabled):
                    continue
                shared += balances_for_prefix(
                    member, kind, where, ctx.prefixes_of, shared_group=group_id
                )
            mine = held.balance.Uuid
            out += order_by_strategy(
                group.strategy_for(acc.ID),
                shared,
                lambda h: h.balance.Value,
                lambda h, mine=mine: h.balance.Uuid == mine,  # type: ignore[misc]
                ctx.rng,
            )
    return out


def member_ids(acc: Account, cd: CallDescriptor, prefixes_of: PrefixesFn) -> list[str]:
    """The shared groups the call's paying balances belong to (``GetUniqueSharedGroupMembers``
    asks their members; the caller resolves them)."""
    groups: list[str] = []
    for kind in (_MONETARY, cd.tor or ToR.VOICE):
        for held in balances_for_prefix(acc, kind, Where.of(cd), prefixes_of):
            groups += [g for g in held.balance.SharedGroups if g not in groups]
    return groups
