"""Arguments of the APIer methods on StorDB tariff plans (``SetTP*``/``GetTP*``, loads).

The items themselves travel as the ``utils.TP*`` structs of :mod:`tollgate.tariffplans`.
"""

from __future__ import annotations

import msgspec

__all__ = [
    "AttrGetTPAccountActions",
    "AttrGetTPIds",
    "AttrGetTPItem",
    "AttrGetTPItemV2",
    "AttrGetTPRatingProfile",
    "AttrLoadRatingPlan",
    "AttrTPRatingProfileIds",
    "TPTntID",
]


class AttrGetTPItem(msgspec.Struct, kw_only=True):
    """``AttrGetTPDestination``, ``AttrGetTPTiming``, ``AttrGetTPRate``, … : ``{TPid, ID}``."""

    TPid: str = ""
    ID: str = ""


class AttrGetTPItemV2(msgspec.Struct, kw_only=True):
    """APIerSv2's ``AttrGetTPDestination``: the id is ``Tag`` (``ID`` accepted too)."""

    TPid: str = ""
    Tag: str = ""
    ID: str = ""

    @property
    def item_id(self) -> str:
        return self.Tag or self.ID


class AttrGetTPIds(msgspec.Struct, kw_only=True):
    """``{TPid}`` with an embedded ``PaginatorWithSearch``: ``Limit``, ``Offset``, ``Search``."""

    TPid: str = ""
    Limit: int | None = None
    Offset: int | None = None
    Search: str = ""


class AttrGetTPRatingProfile(msgspec.Struct, kw_only=True):
    """``{TPid, RatingProfileID}``, the id being ``LoadId:Tenant:Category:Subject``."""

    TPid: str = ""
    RatingProfileID: str = ""
    RatingProfileId: str = ""  # the spelling of older clients

    @property
    def profile_id(self) -> str:
        return self.RatingProfileID or self.RatingProfileId


class AttrTPRatingProfileIds(msgspec.Struct, kw_only=True):
    """GetTPRatingProfileLoadIds: the load ids of a tariff plan's rating profiles."""

    TPid: str = ""
    Tenant: str = ""
    Category: str = ""
    Subject: str = ""


class AttrLoadRatingPlan(msgspec.Struct, kw_only=True):
    """APIerSv1.LoadRatingPlan: one plan (every plan when ``RatingPlanId`` is empty)."""

    TPid: str = ""
    RatingPlanId: str = ""


class TPTntID(msgspec.Struct, kw_only=True):
    """``utils.TPTntID``: one profile of a StorDB tariff plan, ``{TPid, Tenant, ID}``."""

    TPid: str = ""
    Tenant: str = ""
    ID: str = ""


class AttrGetTPAccountActions(msgspec.Struct, kw_only=True):
    """``{TPid, AccountActionsId}``, the id being ``LoadId:Tenant:Account``."""

    TPid: str = ""
    AccountActionsId: str = ""
