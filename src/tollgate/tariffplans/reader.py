"""Reading a CGRateS v0.10 tariff-plan folder, all or nothing.

:func:`read_folder` reads every known CSV file present (a missing file is an empty list),
checks every cell and every cross-file reference, and either returns the whole
:class:`TariffPlan` (with its tolerated warnings) or raises :class:`TariffPlanError`
listing every problem, each as ``File.csv:line:column: what is wrong``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

from tollgate.core.errors import InvalidPathError, TollgateError
from tollgate.tariffplans.csvfile import Problems, Row, read_rows
from tollgate.tariffplans.plan import FILE_NAMES, TariffPlan, TariffPlanError
from tollgate.tariffplans.reader_profiles import COLUMNS as PROFILE_COLUMNS
from tollgate.tariffplans.reader_profiles import read_profile_file
from tollgate.tariffplans.reader_rating import COLUMNS as RATING_COLUMNS
from tollgate.tariffplans.reader_rating import read_account_file, read_rating_file
from tollgate.tariffplans.validate import check_references

__all__ = ["check_folder", "read_folder"]

logger = logging.getLogger(__name__)

_RATING = frozenset(
    {"Destinations.csv", "Timings.csv", "Rates.csv", "DestinationRates.csv",
     "RatingPlans.csv", "RatingProfiles.csv"}
)  # fmt: skip


def check_folder(path: str | Path) -> Path:
    """APIerSv1.LoadTariffPlanFromFolder's argument checks.

    An empty path raises ``MANDATORY_IE_MISSING:FolderPath`` (CGRateS's exact text, no
    space, no brackets); a path that is not a directory raises ``INVALID_PATH``.
    """
    if not str(path):
        raise TollgateError("MANDATORY_IE_MISSING:FolderPath")
    folder = Path(path)
    if not folder.is_dir():
        raise InvalidPathError()
    return folder


def _counted(rows: Iterator[Row], plan: TariffPlan, name: str) -> Iterator[Row]:
    for row in rows:
        plan.rows[name] = plan.rows.get(name, 0) + 1
        yield row


def read_folder(
    path: str | Path,
    *,
    tpid: str = "",
    field_separator: str = ",",
    strict: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> TariffPlan:
    """Read the tariff plan in folder ``path``.

    ``strict`` makes tolerated references (warnings) errors, as ``cgr-loader -validate``.
    ``progress(file_name, done, total)`` is called before each file present is read.
    Raises :class:`TariffPlanError` with every problem found; nothing is returned then.
    """
    folder = check_folder(path)
    plan = TariffPlan(tpid=tpid)
    problems = Problems()
    present = [name for name in FILE_NAMES.values() if (folder / name).is_file()]
    for done, name in enumerate(present):
        file = folder / name
        if progress is not None:
            progress(name, done, len(present))
        columns = RATING_COLUMNS.get(name) or PROFILE_COLUMNS[name]
        rows = _counted(
            read_rows(file, columns, problems, field_separator=field_separator), plan, name
        )
        if name in _RATING:
            read_rating_file(name, rows, plan)
        elif name in RATING_COLUMNS:
            read_account_file(name, rows, plan)
        else:
            read_profile_file(name, rows, plan)
    refs = check_references(plan)
    errors = problems.errors + refs.errors
    warnings = problems.warnings + refs.warnings
    if strict:
        errors += warnings
    if errors:
        logger.info("tariff plan %s refused: %d errors", folder, len(errors))
        raise TariffPlanError(errors)
    plan.warnings = warnings
    plan.row_warnings = problems.warnings
    logger.info(
        "tariff plan %s read: %d rows, %d warnings",
        folder, sum(plan.rows.values()), len(warnings),
    )  # fmt: skip
    return plan
