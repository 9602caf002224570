"""FilterS: decide whether an event passes a profile's filters, and find the profiles an
event may match through the filter indexes (CGRateS v0.10 ``engine/filters.go``)."""

from __future__ import annotations

from tollgate.filters.api import APIerSv1Filters
from tollgate.filters.compiled import INDEXED_KINDS, CompiledFilter, parse_inline
from tollgate.filters.dataprovider import MISSING, DataProvider, Path, compile_path
from tollgate.filters.indexes import IndexSelects
from tollgate.filters.models import activation_window
from tollgate.filters.rsr import (
    FilterNotPassingError,
    RSRParser,
    RSRParsers,
    parse_rsr,
    parse_rsr_list,
)
from tollgate.filters.rules import (
    CompiledRule,
    FilterEnv,
    SimpleRule,
    StaticEnv,
    compile_rule,
    pass_simple,
)
from tollgate.filters.service import FilterService
from tollgate.filters.values import (
    Duration,
    as_decimal,
    as_duration,
    as_string,
    equal_to,
    greater_than,
    string_to_value,
)

__all__ = [
    "INDEXED_KINDS",
    "MISSING",
    "APIerSv1Filters",
    "CompiledFilter",
    "CompiledRule",
    "DataProvider",
    "Duration",
    "FilterEnv",
    "FilterNotPassingError",
    "FilterService",
    "IndexSelects",
    "Path",
    "RSRParser",
    "RSRParsers",
    "SimpleRule",
    "StaticEnv",
    "activation_window",
    "as_decimal",
    "as_duration",
    "as_string",
    "compile_path",
    "compile_rule",
    "equal_to",
    "greater_than",
    "parse_inline",
    "parse_rsr",
    "parse_rsr_list",
    "pass_simple",
    "string_to_value",
]
