"""Accounts and balances: the ``*accounts`` DataDB partition and APIer's account methods."""

from __future__ import annotations

from tollgate.accounts.api import APIerSv1Accounts, APIerSv2Accounts
from tollgate.accounts.balances import BalanceFilter, balance_filter
from tollgate.accounts.debit_models import AccountSummary, account_summary
from tollgate.accounts.debit_service import DebitService
from tollgate.accounts.models import (
    DEFAULT_BALANCE_ID,
    Account,
    Balance,
    BalanceType,
    StoredAccount,
)
from tollgate.accounts.responder import APIerSv1Debits, ResponderAccounts
from tollgate.accounts.service import ACCOUNTS, AccountService, BalanceChange, ChangeHook
from tollgate.accounts.shared_groups import SharedGroup, SharedGroups

__all__ = [
    "ACCOUNTS",
    "DEFAULT_BALANCE_ID",
    "APIerSv1Accounts",
    "APIerSv1Debits",
    "APIerSv2Accounts",
    "Account",
    "AccountService",
    "AccountSummary",
    "Balance",
    "BalanceChange",
    "BalanceFilter",
    "BalanceType",
    "ChangeHook",
    "DebitService",
    "ResponderAccounts",
    "SharedGroup",
    "SharedGroups",
    "StoredAccount",
    "account_summary",
    "balance_filter",
]
