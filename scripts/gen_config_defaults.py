"""Regenerate src/tollgate/core/config/defaults.json from the CGRateS default configuration.

Usage: PYTHONPATH=src python scripts/gen_config_defaults.py [path/to/cgrates.json]

The spec file has every line commented out (``// ``); the config lines are uncommented, the
prose header stays a comment. Tollgate's deliberate differences and additions are applied, the
result is checked by the typed loader and written in its normal form (durations as Go's
``Duration.String()``), so ``load_config(None).as_json()`` equals the file exactly.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from tollgate.core.config import build_config, decode_json

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT.parent / "shared" / "spec" / "cgrates-v0.10" / "cgrates.json"
OUT = ROOT / "src" / "tollgate" / "core" / "config" / "defaults.json"

DIFFERENCES = {
    "data_db": {"db_type": "*internal"},
    "stor_db": {"db_type": "*sqlite"},
}
ADDITIONS = {
    "general": {"data_dir": ""},
    "data_db": {
        "internal_fsync": "always",
        "internal_snapshot_interval": "5m",
        "internal_snapshot_records": 100000,
    },
}


def uncomment(text: str) -> str:
    """Strip the leading ``// `` of config lines (prose lines do not start with JSON)."""
    return re.sub(r"(?m)^// (?=[\s\"{}\[\]])", "", text)


def main() -> None:
    spec = Path(sys.argv[1]) if len(sys.argv) > 1 else SPEC
    document = decode_json(uncomment(spec.read_text(encoding="utf-8")), env={}, source=str(spec))
    for patch in (DIFFERENCES, ADDITIONS):
        for section, keys in patch.items():
            document[section].update(keys)
    config = build_config(document)
    if config.warnings:
        raise SystemExit("\n".join(config.warnings))
    OUT.write_text(json.dumps(config.as_json(), indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
