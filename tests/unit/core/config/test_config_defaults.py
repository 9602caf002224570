"""The shipped defaults are CGRateS v0.10's, key by key, except Tollgate's documented choices."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tollgate.core.config import decode_json, load_config
from tollgate.core.durations import format_duration, parse_duration

SPEC = Path(__file__).resolve().parents[4] / ".." / "shared" / "spec" / "cgrates-v0.10"

# Tollgate's deliberate differences from the CGRateS defaults, and its additions.
DIFFERENCES = {("data_db", "db_type"): "*internal", ("stor_db", "db_type"): "*sqlite"}
ADDITIONS = {
    ("general", "data_dir"): "",
    ("data_db", "internal_fsync"): "always",
    ("data_db", "internal_snapshot_interval"): "5m0s",
    ("data_db", "internal_snapshot_records"): 100000,
}
# Keys the spec leaves out of some entries and the typed objects fill with CGRateS's default.
FILLED = {
    "precache": False,
    "strategy": "*first",
    "poolSize": 0,
    "synchronous": False,
    "tls": False,
}
DURATION_KEYS = {
    "failed_posts_ttl",
    "connect_timeout",
    "reply_timeout",
    "locking_timeout",
    "query_timeout",
    "ttl",
    "debit_interval",
    "session_ttl",
    "channel_sync_interval",
    "max_wait_connection",
    "store_interval",
    "run_delay",
    "max_computed_usage",
    "default_usage",
}


def spec_defaults() -> dict[str, Any]:
    text = (SPEC / "cgrates.json").read_text(encoding="utf-8")
    # Config lines are commented as "// <json>"; the prose header stays a comment.
    return decode_json(re.sub(r"(?m)^// (?=[\s\"{}\[\]])", "", text), env={})


def assert_same(spec: Any, ours: Any, path: tuple[str, ...], duration: bool = False) -> None:
    where = ".".join(path)
    if duration and isinstance(spec, str | int) and isinstance(ours, str):
        assert parse_duration(spec) == parse_duration(ours), where
        assert ours == format_duration(parse_duration(spec)), where
        return
    if isinstance(spec, dict):
        assert isinstance(ours, dict), where
        for key in ours.keys() - spec.keys():
            assert key in FILLED, f"{where}.{key} is not in the spec"
            assert ours[key] == FILLED[key], f"{where}.{key}"
        for key, value in spec.items():
            assert key in ours, f"{where}.{key} missing"
            is_dur = duration or key in DURATION_KEYS
            if path == ("loaders",) or (path and path[0] == "loaders"):
                is_dur = False  # loaders' run_delay is whole seconds, an int as in CGRateS
            assert_same(value, ours[key], (*path, key), is_dur)
        return
    if isinstance(spec, list):
        assert isinstance(ours, list), where
        assert len(ours) == len(spec), where
        for index, (a, b) in enumerate(zip(spec, ours, strict=True)):
            assert_same(a, b, (*path, str(index)), duration)
        return
    assert ours == spec, f"{where}: {ours!r} != {spec!r}"
    assert type(ours) is type(spec), where


def test_spec_folder_is_there() -> None:
    assert (SPEC / "cgrates.json").is_file()


def test_defaults_match_the_cgrates_spec_key_by_key() -> None:
    spec = spec_defaults()
    ours = load_config(None).as_json()
    assert set(ours) == set(spec)
    for (section, key), value in DIFFERENCES.items():
        assert ours[section][key] == value
        ours[section][key] = spec[section][key]
    for (section, key), value in ADDITIONS.items():
        assert ours[section].pop(key) == value
    for section in spec:
        assert_same(spec[section], ours[section], (section,))


def test_defaults_leave_double_commented_keys_unset() -> None:
    cfg = load_config(None)
    assert cfg.sessions.session_ttl_max_delay is None
    assert cfg.attributes.string_indexed_fields is None
    assert cfg.freeswitch_agent.min_dur_low_balance is None
    assert "session_ttl_max_delay" not in cfg.as_json("sessions")
    assert "string_indexed_fields" not in cfg.as_json("attributes")


def test_as_json_equals_the_shipped_defaults_exactly() -> None:
    shipped = json.loads(files("tollgate.core.config").joinpath("defaults.json").read_text())
    assert load_config(None).as_json() == shipped


def test_typed_defaults() -> None:
    cfg = load_config(None)
    assert cfg.general.reply_timeout == 2_000_000_000
    assert cfg.general.locking_timeout == 0
    assert cfg.data_db.db_type == "*internal"
    assert cfg.stor_db.db_type == "*sqlite"
    assert cfg.data_db.internal_snapshot_interval == 300_000_000_000
    assert cfg.data_db.items["*accounts"].limit == -1
    assert cfg.caches["*cdr_ids"].ttl == 600_000_000_000
    assert cfg.rals.max_computed_usage["*data"] == 107374182400
    assert cfg.rals.max_computed_usage["*voice"] == 72 * 3600 * 10**9
    assert cfg.rpc_conns["*localhost"].conns[0].address == "127.0.0.1:2012"
    assert cfg.rpc_conns["*localhost"].pool_size == 0
    assert "*internal" not in cfg.rpc_conns
    assert cfg.loaders[0].id == "*default"
    assert cfg.ers.readers[0].concurrent_requests == 1024
    assert cfg.sources == ()
    assert cfg.warnings == ()


def test_as_json_returns_copies() -> None:
    cfg = load_config(None)
    cfg.as_json("loaders")[0]["data"].clear()
    cfg.as_json()["loaders"][0]["data"].clear()
    assert len(cfg.loaders[0].data) == 9


@pytest.mark.parametrize("section", ["general", "loaders", "http_agent", "caches"])
def test_as_json_one_section(section: str) -> None:
    cfg = load_config(None)
    assert cfg.as_json(section) == cfg.as_json()[section]


@given(st.integers(min_value=-(2**62), max_value=2**62))
def test_durations_round_trip_through_json(ns: int) -> None:
    cfg = load_config(None).merged({"sessions": {"debit_interval": format_duration(ns)}})
    assert cfg.sessions.debit_interval == ns
    again = load_config(None).merged({"sessions": cfg.as_json("sessions")})
    assert again.sessions == cfg.sessions


@pytest.mark.parametrize(
    ("text", "ns"),
    [("10s", 10 * 10**9), ("1m30s", 90 * 10**9), ("35", 35), (35, 35), ("", 0), ("*unlimited", -1)],
)
def test_duration_spellings(text: str | int, ns: int) -> None:
    cfg = load_config(None).merged({"general": {"reply_timeout": text}})
    assert cfg.general.reply_timeout == ns
