"""One error tree; each error's ``str()`` is the exact CGRateS v0.10 wire text.

The RPC layer answers with ``str(exc)`` for any :class:`TollgateError`; anything else is
logged with its traceback and answered ``SERVER_ERROR: <msg>``.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "AccountDisabledError",
    "AccountNotFoundError",
    "AttributeSError",
    "BrokenReferenceError",
    "ChargerSError",
    "DisconnectedError",
    "ExistsError",
    "InsufficientCreditError",
    "InvalidPathError",
    "MandatoryIeMissingError",
    "MaxUsageExceededError",
    "NoActiveSessionError",
    "NotConnectedError",
    "NotFoundError",
    "NotImplementedYetError",
    "PartiallyExecutedError",
    "RALsError",
    "RatingPlanNotFoundError",
    "ReplyTimeoutError",
    "ResourceSError",
    "SchedulerNotRunningError",
    "ServerError",
    "ServiceNotOperationalError",
    "SupplierSError",
    "TollgateError",
    "UnauthorizedDestinationError",
    "UnsupportedServiceMethodError",
    "mandatory_missing",
]


class TollgateError(Exception):
    """Base of every error that crosses the wire; ``str(exc)`` is the CGRateS text."""

    wire: str = "SERVER_ERROR"

    def __init__(self, text: str | None = None) -> None:
        self.text = self.wire if text is None else text
        super().__init__(self.text)

    def __str__(self) -> str:
        return self.text


class NotFoundError(TollgateError):
    wire = "NOT_FOUND"


class ExistsError(TollgateError):
    wire = "EXISTS"


class BrokenReferenceError(TollgateError):
    wire = "BROKEN_REFERENCE"


class InvalidPathError(TollgateError):
    wire = "INVALID_PATH"


class NotImplementedYetError(TollgateError):
    wire = "NOT_IMPLEMENTED"


class AccountNotFoundError(TollgateError):
    wire = "ACCOUNT_NOT_FOUND"


class AccountDisabledError(TollgateError):
    wire = "ACCOUNT_DISABLED"


class InsufficientCreditError(TollgateError):
    wire = "INSUFFICIENT_CREDIT"


class UnauthorizedDestinationError(TollgateError):
    wire = "UNAUTHORIZED_DESTINATION"


class RatingPlanNotFoundError(TollgateError):
    wire = "RATING_PLAN_NOT_FOUND"


class MaxUsageExceededError(TollgateError):
    wire = "MAX_USAGE_EXCEEDED"


class NoActiveSessionError(TollgateError):
    wire = "NO_ACTIVE_SESSION"


class PartiallyExecutedError(TollgateError):
    wire = "PARTIALLY_EXECUTED"


class SchedulerNotRunningError(TollgateError):
    wire = "SCHEDULLER_NOT_RUNNING"  # v0.10's spelling (utils.SchedulerNotRunningCaps)


class UnsupportedServiceMethodError(TollgateError):
    wire = "UNSUPPORTED_SERVICE_METHOD"


class DisconnectedError(TollgateError):
    wire = "DISCONNECTED"


class ReplyTimeoutError(TollgateError):
    wire = "REPLY_TIMEOUT"


class ServerError(TollgateError):
    """``SERVER_ERROR`` alone, or ``SERVER_ERROR: <detail>``."""

    wire = "SERVER_ERROR"

    def __init__(self, detail: str | Exception | None = None) -> None:
        super().__init__(self.wire if detail is None else f"{self.wire}: {detail}")


class MandatoryIeMissingError(TollgateError):
    """``MANDATORY_IE_MISSING: [F1 F2]``: Go slice formatting, space separated."""

    wire = "MANDATORY_IE_MISSING"

    def __init__(self, *fields: str) -> None:
        self.fields = fields
        super().__init__(f"{self.wire}: [{' '.join(fields)}]" if fields else self.wire)


def mandatory_missing(obj: object, names: Iterable[str]) -> MandatoryIeMissingError | None:
    """The error for the zero-valued attributes among ``names``, or None when all are set.

    Mirrors CGRateS's ``MissingStructFields``: empty strings, zero numbers, empty
    collections and None all count as missing.
    """
    missing = [name for name in names if not getattr(obj, name, None)]
    return MandatoryIeMissingError(*missing) if missing else None


class _PrefixedError(TollgateError):
    """``<PREFIX>:<inner>`` with no space, as CGRateS's subsystem wrappers emit."""

    prefix = ""

    def __init__(self, inner: str | Exception) -> None:
        self.inner = str(inner)
        super().__init__(f"{self.prefix}:{self.inner}")


class RALsError(_PrefixedError):
    prefix = "RALS_ERROR"


class ResourceSError(_PrefixedError):
    prefix = "RESOURCES_ERROR"


class SupplierSError(_PrefixedError):
    prefix = "SUPPLIERS_ERROR"


class AttributeSError(_PrefixedError):
    prefix = "ATTRIBUTES_ERROR"


class ChargerSError(_PrefixedError):
    prefix = "CHARGERS_ERROR"


class NotConnectedError(TollgateError):
    """``NOT_CONNECTED: <SubSys>``."""

    wire = "NOT_CONNECTED"

    def __init__(self, subsystem: str) -> None:
        super().__init__(f"{self.wire}: {subsystem}")


class ServiceNotOperationalError(TollgateError):
    """``SERVICE_NOT_OPERATIONAL: <service>``."""

    wire = "SERVICE_NOT_OPERATIONAL"

    def __init__(self, service: str) -> None:
        super().__init__(f"{self.wire}: {service}")
