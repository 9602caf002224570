"""Accounts and balances: the ``*accounts`` DataDB partition and APIer's account methods."""

from __future__ import annotations

from tollgate.accounts.api import APIerSv1Accounts, APIerSv2Accounts
from tollgate.accounts.balances import BalanceFilter, balance_filter
from tollgate.accounts.models import (
    DEFAULT_BALANCE_ID,
    Account,
    Balance,
    BalanceType,
    StoredAccount,
)
from tollgate.accounts.service import ACCOUNTS, AccountService, BalanceChange, ChangeHook

__all__ = [
    "ACCOUNTS",
    "DEFAULT_BALANCE_ID",
    "APIerSv1Accounts",
    "APIerSv2Accounts",
    "Account",
    "AccountService",
    "Balance",
    "BalanceChange",
    "BalanceFilter",
    "BalanceType",
    "ChangeHook",
    "StoredAccount",
    "balance_filter",
]
