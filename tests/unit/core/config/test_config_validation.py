from __future__ import annotations

import re
from pathlib import Path

import pytest

from tollgate.core.config import ConfigError, load_config


def load_text(tmp_path: Path, text: str) -> tuple[str, object]:
    path = tmp_path / "a.json"
    path.write_text(text, encoding="utf-8")
    return str(path), load_config(path)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            '{"general": {"rounding_decimals": "five"}}',
            '[general] rounding_decimals: expected an integer, found "five"',
        ),
        (
            '{"sessions": {"debit_interval": "ten"}}',
            '[sessions] debit_interval: expected a duration like "10s", found "ten"',
        ),
        (
            '{"sessions": {"debit_interval": true}}',
            '[sessions] debit_interval: expected a duration like "10s", found true',
        ),
        (
            '{"general": {"concurrent_strategy": "*wait"}}',
            '[general] concurrent_strategy: expected one of *busy, *queue, found "*wait"',
        ),
        (
            '{"general": {"logger": "*file"}}',
            '[general] logger: expected one of *syslog, *stdout, found "*file"',
        ),
        (
            '{"general": {"log_level": 8}}',
            "[general] log_level: expected an integer from 0 to 7, found 8",
        ),
        (
            '{"general": {"log_level": 6.5}}',
            "[general] log_level: expected an integer, found 6.5",
        ),
        (
            '{"general": {"dbdata_encoding": "*xml"}}',
            '[general] dbdata_encoding: expected one of *msgpack, *json, found "*xml"',
        ),
        (
            '{"data_db": {"db_type": "*postgres"}}',
            '[data_db] db_type: expected one of *internal, *redis, found "*postgres"',
        ),
        (
            '{"data_db": {"internal_fsync": "sometimes"}}',
            '[data_db] internal_fsync: expected one of always, everysec, no, found "sometimes"',
        ),
        (
            '{"stor_db": {"db_type": "*oracle"}}',
            "[stor_db] db_type: expected one of *internal, *sqlite, *postgres, *mysql, "
            'found "*oracle"',
        ),
        (
            '{"rals": {"enabled": "yes"}}',
            '[rals] enabled: expected true or false, found "yes"',
        ),
        (
            '{"cdrs": {"extra_fields": "a,b"}}',
            '[cdrs] extra_fields: expected a list, found "a,b"',
        ),
        (
            '{"cdrs": {"extra_fields": ["a", 1]}}',
            "[cdrs] extra_fields[1]: expected a string, found 1",
        ),
        ('{"general": []}', "[general]: expected an object, found a list"),
        (
            '{"caches": {"*destinations": {"ttl": "soon"}}}',
            '[caches] *destinations.ttl: expected a duration like "10s", found "soon"',
        ),
        (
            '{"rals": {"max_computed_usage": {"*voice": "forever"}}}',
            '[rals] max_computed_usage.*voice: expected a duration like "10s", found "forever"',
        ),
        (
            '{"rpc_conns": {"c1": {"conns": [{"address": "x", "transport": "*udp"}]}}}',
            "[rpc_conns] c1.conns[0].transport: expected one of *json, *gob, *http_jsonrpc, "
            'found "*udp"',
        ),
        (
            '{"rpc_conns": {"c1": {"strategy": "*best", "conns": []}}}',
            "[rpc_conns] c1.strategy: expected one of *first, *next, *random, *round_robin, ",
        ),
        (
            '{"rpc_conns": {"c1": {"strategy": "*first"}}}',
            "[rpc_conns] c1.conns: expected a value, found nothing (missing key)",
        ),
        (
            '{"loaders": [{"id": "l2", "run_delay": "1m"}]}',
            '[loaders] [1].run_delay: expected an integer, found "1m"',
        ),
        (
            '{"tls": {"server_policy": 7}}',
            "[tls] server_policy: expected one of 0, 1, 2, 3, 4, found 7",
        ),
        (
            '{"diameter_agent": {"listen_net": "udp"}}',
            '[diameter_agent] listen_net: expected one of tcp, sctp, found "udp"',
        ),
    ],
)
def test_bad_values_name_file_section_key_expected_and_found(
    tmp_path: Path, document: str, message: str
) -> None:
    path = tmp_path / "a.json"
    path.write_text(document, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: {message}")


def test_error_names_the_file_that_set_the_key(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"general": {"rounding_decimals": "five"}}')
    (tmp_path / "b.json").write_text('{"general": {"node_id": "b"}}')
    with pytest.raises(ConfigError, match=re.escape(f"{tmp_path / 'a.json'}: [general]")):
        load_config(tmp_path)


@pytest.mark.parametrize(
    ("section", "allowed"),
    [("data_db", "*internal or *redis"), ("stor_db", "*internal, *sqlite, *postgres or *mysql")],
)
@pytest.mark.parametrize("spelling", ["*mongo", "mongo"])
def test_mongo_is_refused_clearly(
    tmp_path: Path, section: str, allowed: str, spelling: str
) -> None:
    path = tmp_path / "a.json"
    path.write_text(f'{{"{section}": {{"db_type": "{spelling}"}}}}')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (
        f"{path}: [{section}] db_type: *mongo is not supported by Tollgate; use {allowed}"
    )


def test_db_type_without_star_is_accepted_as_cgrates_does(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('{"data_db": {"db_type": "redis"}, "stor_db": {"db_type": "postgres"}}')
    cfg = load_config(path)
    assert (cfg.data_db.db_type, cfg.stor_db.db_type) == ("*redis", "*postgres")


def test_undefined_conn_id_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('{"sessions": {"rals_conns": ["*internal", "rals1"]}}')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (
        f"{path}: [sessions] rals_conns: expected *internal or an id defined in rpc_conns "
        '(*localhost), found "rals1"'
    )


def test_undefined_conn_id_inside_a_list_section(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('{"loaders": [{"id": "*default", "caches_conns": ["nope"]}]}')
    with pytest.raises(ConfigError, match=r"\[loaders\] \[0\]\.caches_conns: .*found \"nope\""):
        load_config(path)


def test_defined_conn_ids_pass(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(
        '{"rpc_conns": {"rals1": {"conns": [{"address": "10.0.0.1:2012"}]}},'
        ' "sessions": {"rals_conns": ["rals1"], "cdrs_conns": ["*internal"],'
        ' "chargers_conns": ["*localhost"]}}'
    )
    assert load_config(path).sessions.rals_conns == ["rals1"]


def test_data_db_cannot_replicate_to_internal(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('{"data_db": {"remote_conns": ["*internal"]}}')
    with pytest.raises(ConfigError, match=r"\[data_db\] remote_conns: .*cannot replicate"):
        load_config(path)


def test_unknown_sections_and_keys_are_warnings(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(
        '{"general": {"foo": 1, "node_id": "x"}, "bogus": {},'
        ' "caches": {"*destinations": {"limt": 5}}}'
    )
    cfg = load_config(path)
    assert cfg.general.node_id == "x"
    assert cfg.warnings == (
        f"{path}: unknown key [general] foo",
        f"{path}: unknown key [caches] *destinations.limt",
        f"{path}: unknown section [bogus]",
    )
    assert "foo" not in cfg.as_json("general")
    assert "bogus" not in cfg.as_json()


def test_unknown_section_name_in_as_json() -> None:
    with pytest.raises(ConfigError, match=r"unknown section \[nope\]"):
        load_config(None).as_json("nope")
