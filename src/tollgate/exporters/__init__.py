"""CDR exporters (CDRe): ``cdre`` profiles writing CSV/fixed-width files or posting CDRs
over HTTP, offline through APIerSv1.ExportCDRs and online from the CDR server."""

from __future__ import annotations

from tollgate.exporters.api import (
    APIerSv1Exports,
    APIerSv2Exports,
    ArgExportCDRs,
    RplExportedCDRs,
)
from tollgate.exporters.exporter import CDRExporter, ExportSettings
from tollgate.exporters.fields import FieldTemplate, fmt_field_width, parse_fields
from tollgate.exporters.service import ExportService

__all__ = [
    "APIerSv1Exports",
    "APIerSv2Exports",
    "ArgExportCDRs",
    "CDRExporter",
    "ExportService",
    "ExportSettings",
    "FieldTemplate",
    "RplExportedCDRs",
    "fmt_field_width",
    "parse_fields",
]
