"""``tollgate engine`` as a user runs it: flags, exit codes, signals, reloads, side by side."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from tollgate.core.config.reader import decode_json
from tollgate.testing.client import RpcError, rpc
from tollgate.testing.engine import EngineProcess, wait_for_port


def _tollgate(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tollgate", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_no_arguments_lists_the_subcommands() -> None:
    out = _tollgate()
    assert out.returncode == 0
    for name in ("engine", "loader", "console", "tester", "migrator"):
        assert name in out.stdout
    assert "not built yet" in out.stdout
    console = _tollgate("console")
    assert console.returncode == 2
    assert "not built yet" in console.stderr


def test_version_with_one_or_two_dashes() -> None:
    for flag in ("-version", "--version"):
        out = _tollgate("engine", flag)
        assert out.returncode == 0
        assert "Tollgate v" in out.stdout


def test_serves_ping_status_and_config_over_tcp(engine: EngineProcess) -> None:
    port = engine.ports["rpc_json"]
    assert rpc(port, "CoreSv1.Ping") == "Pong"
    status = rpc(port, "CoreSv1.Status")
    assert status["Version"].startswith("Tollgate@v")
    general = rpc(port, "ConfigSv1.GetJSONSection", {"Section": "general"})
    assert general["default_tenant"] == "cgrates.org"
    assert general["rounding_decimals"] == 5
    with pytest.raises(RpcError, match=r"rpc: can't find service Nope\.Nope"):
        rpc(port, "Nope.Nope")


def test_bad_config_value_exits_1_naming_the_key_before_opening_ports(tmp_path: Path) -> None:
    proc = EngineProcess.prepare(tmp_path, {"general": {"rounding_decimals": "five"}})
    out = subprocess.run(proc.command(), capture_output=True, text=True, timeout=30, check=False)
    assert out.returncode == 1
    assert "rounding_decimals" in out.stderr
    assert "general" in out.stderr
    assert str(proc.config_path) in out.stderr
    with (
        pytest.raises(OSError),
        socket.create_connection(("127.0.0.1", proc.ports["rpc_json"]), timeout=0.5),
    ):
        pass


def test_unknown_keys_are_warned_about_not_fatal(tmp_path: Path) -> None:
    with EngineProcess.prepare(tmp_path, {"general": {"no_such_key": 1}}).start() as proc:
        assert rpc(proc.ports["rpc_json"], "CoreSv1.Ping") == "Pong"
        assert proc.stop() == 0
    assert "no_such_key" in proc.log()


def test_sigterm_answers_in_flight_requests_then_exits_0(engine: EngineProcess) -> None:
    port = engine.ports["rpc_json"]
    result: dict[str, object] = {}

    def slow_call() -> None:
        result["reply"] = rpc(port, "CoreSv1.Sleep", {"DurationTime": 1_000_000_000})

    thread = threading.Thread(target=slow_call)
    thread.start()
    time.sleep(0.3)
    engine.signal(signal.SIGTERM)
    thread.join(10)
    assert result["reply"] == "OK"
    assert engine.proc is not None
    assert engine.proc.wait(10) == 0


def test_sighup_reloads_the_config_file(engine: EngineProcess) -> None:
    port = engine.ports["rpc_json"]
    engine.config["general"]["default_tenant"] = "tollgate.example"
    engine.write_config()
    engine.signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        general = rpc(port, "ConfigSv1.GetJSONSection", {"Section": "general"})
        if general["default_tenant"] == "tollgate.example":
            break
        time.sleep(0.1)
    assert general["default_tenant"] == "tollgate.example"
    assert rpc(port, "CoreSv1.Ping") == "Pong"


def test_sighup_with_a_broken_file_keeps_the_running_config(engine: EngineProcess) -> None:
    engine.config_path.write_text('{"general": {"rounding_decimals": "x"}}')
    engine.signal(signal.SIGHUP)
    time.sleep(0.5)
    port = engine.ports["rpc_json"]
    assert rpc(port, "ConfigSv1.GetJSONSection", {"Section": "general"})["rounding_decimals"] == 5
    assert "reload refused" in engine.log()


def test_reload_moves_a_listener_to_its_new_address(engine: EngineProcess) -> None:
    from tollgate.testing.engine import free_port

    port = engine.ports["rpc_json"]
    moved = free_port()
    reply = rpc(
        port,
        "ConfigSv1.ReloadConfigFromJSON",
        {"JSON": {"listen": {"rpc_json": f"127.0.0.1:{moved}"}}},
    )
    assert reply == "OK"
    wait_for_port(moved, timeout=5)
    assert rpc(moved, "CoreSv1.Ping") == "Pong"
    engine.ports["rpc_json"] = moved


def test_pid_file_is_written_and_removed(tmp_path: Path) -> None:
    pid_file = tmp_path / "tollgate.pid"
    with EngineProcess.prepare(tmp_path / "e").start("-pid", str(pid_file)) as proc:
        assert proc.proc is not None
        assert pid_file.read_text().strip() == str(proc.proc.pid)
        assert proc.stop() == 0
    assert not pid_file.exists()


def test_two_engines_side_by_side_but_not_on_one_data_folder(tmp_path: Path) -> None:
    with (
        EngineProcess.prepare(tmp_path / "a").start() as first,
        EngineProcess.prepare(tmp_path / "b").start() as second,
    ):
        assert rpc(first.ports["rpc_json"], "CoreSv1.Ping") == "Pong"
        assert rpc(second.ports["rpc_json"], "CoreSv1.Ping") == "Pong"
        intruder = EngineProcess.prepare(tmp_path / "c")
        command = intruder.command()
        command[command.index("-data_dir") + 1] = str(first.data_dir)
        out = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
        assert out.returncode == 1
        assert str(first.data_dir) in out.stderr + out.stdout
        assert first.stop() == 0
        assert second.stop() == 0


def test_config_folder_is_merged_alphabetically(tmp_path: Path) -> None:
    proc = EngineProcess.prepare(tmp_path / "e")
    folder = tmp_path / "conf"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.json").write_text(proc.config_path.read_text())
    (folder / "sub" / "z.json").write_text(
        '{"general": {"default_tenant": "from-z"}, // comment\n}'
    )
    (folder / "b.json").write_text('{"general": {"default_tenant": "from-b", "node_id": "n-b"}}')
    command = proc.command()
    command[command.index("-config_path") + 1] = str(folder)
    proc.config_path.unlink()
    with proc:
        proc.proc = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        wait_for_port(proc.ports["rpc_json"], proc=proc.proc)
        general = rpc(proc.ports["rpc_json"], "ConfigSv1.GetJSONSection", {"Section": "general"})
        assert general["default_tenant"] == "from-z"
        assert general["node_id"] == "n-b"
        assert rpc(proc.ports["rpc_json"], "CoreSv1.Status")["NodeID"] == "n-b"
        assert proc.stop() == 0


def test_tls_listeners_serve_with_the_configured_certificate(tmp_path: Path) -> None:
    import ssl

    import trustme

    from tollgate.testing.engine import free_port

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert_path, key_path, ca_path = tmp_path / "c.pem", tmp_path / "k.pem", tmp_path / "ca.pem"
    cert.cert_chain_pems[0].write_to_path(str(cert_path))
    cert.private_key_pem.write_to_path(str(key_path))
    ca.cert_pem.write_to_path(str(ca_path))
    tls_port, https_port = free_port(), free_port()
    extra = {
        "listen": {"rpc_json_tls": f"127.0.0.1:{tls_port}", "http_tls": f"127.0.0.1:{https_port}"},
        "tls": {
            "server_certificate": str(cert_path),
            "server_key": str(key_path),
            "ca_certificate": str(ca_path),
            "server_policy": 0,
        },
    }
    with EngineProcess.prepare(tmp_path / "e", extra).start() as proc:
        wait_for_port(tls_port)
        context = ssl.create_default_context(cafile=str(ca_path))
        with (
            socket.create_connection(("127.0.0.1", tls_port), timeout=5) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as sock,
        ):
            sock.sendall(b'{"method":"CoreSv1.Ping","params":[{}],"id":7}')
            reply = json.loads(sock.recv(4096))
        assert reply == {"id": 7, "result": "Pong", "error": None}
        wait_for_port(https_port)
        request = urllib.request.Request(
            f"https://127.0.0.1:{https_port}/jsonrpc",
            data=b'{"method":"CoreSv1.Ping","params":[{}],"id":8}',
        )
        with urllib.request.urlopen(request, context=context, timeout=5) as response:
            assert json.loads(response.read()) == {"id": 8, "result": "Pong", "error": None}
        assert proc.stop() == 0


def test_config_api_errors_are_clear_and_change_nothing(engine: EngineProcess) -> None:
    port = engine.ports["rpc_json"]
    with pytest.raises(RpcError, match=r"^Invalid section$"):
        rpc(port, "ConfigSv1.GetJSONSection", {"Section": "no_such_section"})
    with pytest.raises(RpcError, match=r"^Invalid section: <nope>$"):
        rpc(port, "ConfigSv1.ReloadConfigFromPath", {"Section": "nope"})
    with pytest.raises(RpcError, match=r"^SERVER_ERROR: .*rounding_decimals"):
        rpc(port, "ConfigSv1.SetConfig", {"Config": {"general": {"rounding_decimals": "x"}}})
    assert rpc(port, "ConfigSv1.GetJSONSection", {"Section": "general"})["rounding_decimals"] == 5
    assert (
        rpc(port, "ConfigSv1.SetConfig", {"Config": {"general": {"default_category": "sms"}}})
        == "OK"
    )
    general = rpc(port, "ConfigSv1.GetConfig", {"Section": "general"})
    assert general["default_category"] == "sms"


def test_a_service_that_cannot_start_stops_the_engine_with_status_1(tmp_path: Path) -> None:
    proc = EngineProcess.prepare(tmp_path)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", proc.ports["http"]))
        squatter.listen()
        out = subprocess.run(
            proc.command(), capture_output=True, text=True, timeout=30, check=False
        )
    assert out.returncode == 1
    assert "service http failed to start" in out.stderr


def test_metrics_show_requests_sessions_and_memory(engine: EngineProcess) -> None:
    rpc(engine.ports["rpc_json"], "CoreSv1.Ping")
    url = f"http://127.0.0.1:{engine.ports['http']}/metrics"
    with urllib.request.urlopen(url, timeout=5) as response:
        text = response.read().decode()
    assert 'tollgate_rpc_requests_total{method="CoreSv1.Ping"} 1.0' in text
    assert "tollgate_rpc_latency_seconds_bucket" in text
    assert "tollgate_active_sessions 0.0" in text
    assert "process_resident_memory_bytes" in text
    assert 'tollgate_open_connections{listener="rpc_json"}' in text


def test_bijson_port_serves_sessionsv1_when_sessions_are_enabled(tmp_path: Path) -> None:
    with EngineProcess.prepare(tmp_path, {"sessions": {"enabled": True}}).start() as proc:
        port = proc.ports["bijson"]
        wait_for_port(port)
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            # OpenSIPS style: spaced json-c, no newline between the two requests
            sock.sendall(
                b'{ "method": "SessionSv1.Ping", "id": 1638400123, "params": [ { } ] }'
                b'{ "method": "CoreSv1.Ping", "id": 2, "params": [ { } ] }'
            )
            data = b""
            while data.count(b"\n") < 2:
                data += sock.recv(4096)
        first, second = (json.loads(line) for line in data.splitlines())
        assert first == {"id": 1638400123, "result": "Pong", "error": None}
        assert second == {
            "id": 2,
            "result": None,
            "error": "birpc: can't find service CoreSv1.Ping",
        }
        assert proc.stop() == 0


def test_bijson_port_stays_closed_while_sessions_are_disabled(engine: EngineProcess) -> None:
    with (
        pytest.raises(OSError),
        socket.create_connection(("127.0.0.1", engine.ports["bijson"]), timeout=0.5),
    ):
        pass


def test_log_level_flag_filters_the_log(tmp_path: Path) -> None:
    with EngineProcess.prepare(tmp_path / "quiet").start("-log_level", "3") as quiet:
        assert quiet.stop() == 0
    assert "listening on" not in quiet.log()
    with EngineProcess.prepare(tmp_path / "chatty").start("-log_level", "6") as chatty:
        assert chatty.stop() == 0
    assert "rpc_json listening on" in chatty.log()


def test_make_run_config_gives_the_tutorial_accounts_their_balances(tmp_path: Path) -> None:
    """``make run``: data/conf/tutorial with the tutorial plan loaded at start."""
    root = Path(__file__).resolve().parents[2]
    conf = root / "data" / "conf" / "tutorial" / "cgrates.json"
    sections = decode_json(conf.read_text(), env=os.environ, source=str(conf))
    plan = root / "data" / "tariffplans" / "tutorial"
    with EngineProcess.prepare(tmp_path / "engine", sections).start(
        "-load_tariffplan", str(plan)
    ) as proc:
        port = proc.ports["rpc_json"]
        deadline = time.monotonic() + 10
        while True:  # the scheduler runs the *asap plans just after the load
            acc = rpc(port, "APIerSv2.GetAccount", {"Tenant": "cgrates.org", "Account": "1001"})
            if acc.get("BalanceMap") or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert [b["Value"] for b in acc["BalanceMap"]["*monetary"]] == [10]
        assert rpc(port, "ChargerSv1.Ping", {}) == "Pong"
