from __future__ import annotations

from pathlib import Path

import pytest

from tollgate.core.config import ConfigError, config_files, load_config


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_single_file_overrides_only_its_keys(tmp_path: Path) -> None:
    cfg_file = write(
        tmp_path / "tollgate.json",
        """{
        // CGRateS style
        "general": {"node_id": "n1", "reply_timeout": "30s",},
        "sessions": {"enabled": true, "debit_interval": "5s"},
        }""",
    )
    cfg = load_config(cfg_file)
    assert cfg.general.node_id == "n1"
    assert cfg.general.reply_timeout == 30 * 10**9
    assert cfg.general.connect_timeout == 10**9  # untouched default
    assert cfg.sessions.enabled is True
    assert cfg.sessions.debit_interval == 5 * 10**9
    assert cfg.sources == (str(cfg_file),)


def test_folder_merges_recursively_in_name_order(tmp_path: Path) -> None:
    # cgr-engine: a folder's own *.json files in name order, then its subfolders in name order.
    write(tmp_path / "b.json", '{"general": {"node_id": "b", "default_tenant": "b.org"}}')
    write(tmp_path / "a.json", '{"general": {"node_id": "a", "default_category": "a"}}')
    write(tmp_path / "conf.d" / "z.json", '{"general": {"node_id": "sub"}}')
    write(tmp_path / "conf.d" / "deeper" / "x.json", '{"general": {"default_tenant": "deep"}}')
    write(tmp_path / ".hidden" / "h.json", '{"general": {"node_id": "hidden"}}')
    write(tmp_path / "notes.txt", "not json")
    files = config_files(tmp_path)
    assert [f.relative_to(tmp_path).as_posix() for f in files] == [
        "a.json",
        "b.json",
        "conf.d/z.json",
        "conf.d/deeper/x.json",
    ]
    cfg = load_config(tmp_path)
    assert cfg.general.node_id == "sub"
    assert cfg.general.default_tenant == "deep"
    assert cfg.general.default_category == "a"
    assert cfg.sources == tuple(str(f) for f in files)


def test_folder_without_json_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "readme.txt", "")
    with pytest.raises(ConfigError, match=r"no \*\.json configuration file"):
        load_config(tmp_path)


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file or folder"):
        load_config(tmp_path / "nope.json")


def test_nested_maps_merge_per_key_and_lists_replace(tmp_path: Path) -> None:
    write(
        tmp_path / "a.json",
        """{
        "caches": {"*destinations": {"limit": 10, "precache": true}},
        "data_db": {"items": {"*accounts": {"ttl": "1h"}}},
        "rals": {"max_computed_usage": {"*voice": "1h"}},
        "cdrs": {"extra_fields": ["a", "b"]},
        }""",
    )
    write(tmp_path / "b.json", '{"cdrs": {"extra_fields": ["c"]}}')
    cfg = load_config(tmp_path)
    dest = cfg.caches["*destinations"]
    assert (dest.limit, dest.precache, dest.ttl) == (10, True, 0)
    assert cfg.caches["*rating_plans"].limit == -1
    assert cfg.data_db.items["*accounts"].ttl == 3600 * 10**9
    assert cfg.data_db.items["*accounts"].limit == -1
    assert cfg.rals.max_computed_usage["*voice"] == 3600 * 10**9
    assert cfg.rals.max_computed_usage["*any"] == 189 * 3600 * 10**9
    assert cfg.cdrs.extra_fields == ["c"]


def test_null_leaves_the_value_unset(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path / "a.json", '{"general": {"node_id": null}}'))
    assert cfg.general.node_id == ""


def test_rpc_conns_wire_names_and_defaults(tmp_path: Path) -> None:
    cfg = load_config(
        write(
            tmp_path / "a.json",
            """{"rpc_conns": {"pool1": {"strategy": "*broadcast", "poolSize": 4,
                "conns": [{"address": "10.0.0.1:2012"},
                          {"address": "10.0.0.2:2012", "transport": "*gob", "tls": true}]}},
                "sessions": {"rals_conns": ["pool1"], "cdrs_conns": ["*localhost"]}}""",
        )
    )
    conn = cfg.rpc_conns["pool1"]
    assert (conn.strategy, conn.pool_size) == ("*broadcast", 4)
    assert conn.conns[0].transport == "*json"
    assert conn.conns[0].synchronous is False
    assert conn.conns[1].transport == "*gob"
    assert conn.conns[1].tls is True
    assert cfg.rpc_conns["*localhost"].conns[0].address == "127.0.0.1:2012"
    assert cfg.as_json("rpc_conns")["pool1"]["poolSize"] == 4


def test_loaders_and_readers_merge_by_id_or_append_from_default(tmp_path: Path) -> None:
    write(
        tmp_path / "a.json",
        """{
        "loaders": [
            {"id": "*default", "enabled": true},
            {"id": "second", "tp_in_dir": "/tmp/in", "run_delay": 5},
        ],
        "ers": {"readers": [{"id": "csv1", "type": "*file_csv", "run_delay": "10s"}]},
        }""",
    )
    write(tmp_path / "b.json", '{"loaders": [{"id": "second", "dry_run": true}]}')
    cfg = load_config(tmp_path)
    assert [ldr.id for ldr in cfg.loaders] == ["*default", "second"]
    assert cfg.loaders[0].enabled is True
    second = cfg.loaders[1]
    assert (second.tp_in_dir, second.run_delay, second.dry_run) == ("/tmp/in", 5, True)
    assert second.lock_filename == ".cgr.lck"  # from the *default loader
    assert len(second.data) == len(cfg.loaders[0].data)
    assert [r.id for r in cfg.ers.readers] == ["*default", "csv1"]
    csv1 = cfg.ers.readers[1]
    assert (csv1.type, csv1.run_delay, csv1.concurrent_requests) == ("*file_csv", 10**10, 1024)


def test_cdre_profiles_merge_per_id_from_default(tmp_path: Path) -> None:
    cfg = load_config(
        write(
            tmp_path / "a.json",
            """{"cdre": {"amqp": {"export_format": "*amqp_json_map", "export_path": "amqp://x"},
                        "*default": {"attempts": 3}}}""",
        )
    )
    assert cfg.cdre["*default"].attempts == 3
    amqp = cfg.cdre["amqp"]
    assert amqp.export_format == "*amqp_json_map"
    assert amqp.field_separator == ","
    assert amqp.fields == cfg.cdre["*default"].fields


def test_http_agent_items_merge_by_id(tmp_path: Path) -> None:
    write(tmp_path / "a.json", '{"http_agent": [{"id": "h1", "url": "/a"}]}')
    write(tmp_path / "b.json", '{"http_agent": [{"id": "h1", "url": "/b"}, {"id": "h2"}]}')
    cfg = load_config(tmp_path)
    assert cfg.http_agent == [{"id": "h1", "url": "/b"}, {"id": "h2"}]


def test_env_substitution_from_the_given_mapping(tmp_path: Path) -> None:
    cfg_file = write(
        tmp_path / "a.json",
        '{"data_db": {"db_type": "*redis", "db_password": "*env:PW", "db_port": *env:PORT}}',
    )
    cfg = load_config(cfg_file, env={"PW": "s3cret", "PORT": "6390"})
    assert (cfg.data_db.db_password, cfg.data_db.db_port) == ("s3cret", 6390)
    with pytest.raises(ConfigError, match=r"a\.json:1:\d+: environment variable PW is not set"):
        load_config(cfg_file, env={"PORT": "1"})


def test_env_defaults_to_the_process_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOLLGATE_TEST_NODE", "from-env")
    cfg = load_config(
        write(tmp_path / "a.json", '{"general": {"node_id": "*env:TOLLGATE_TEST_NODE"}}')
    )
    assert cfg.general.node_id == "from-env"


def test_merged_applies_overrides_and_validates() -> None:
    base = load_config(None)
    cfg = base.merged({"general": {"log_level": 7}, "sessions": {"session_ttl": "30s"}})
    assert cfg.general.log_level == 7
    assert cfg.sessions.session_ttl == 30 * 10**9
    assert base.general.log_level == 6  # the original is untouched
    assert cfg.general.reply_timeout == base.general.reply_timeout
    with pytest.raises(ConfigError, match=r"<overrides>: \[general\] log_level"):
        base.merged({"general": {"log_level": 9}})


def test_merged_keeps_sources_and_warnings(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path / "a.json", '{"general": {"foo": 1}}'))
    again = cfg.merged({"listen": {"rpc_json": ":2012"}})
    assert again.sources == cfg.sources
    assert again.warnings == cfg.warnings
    assert again.listen.rpc_json == ":2012"
