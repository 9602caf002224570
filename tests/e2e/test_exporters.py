"""CDR exporters against a real engine: CDRs stored through CDRsV1.ProcessEvent on the
tutorial plan, then APIerSv1.ExportCDRs to CSV and fixed-width files and to a real aiohttp
server, and the online exports of ``cdrs.online_cdr_exports`` (a failing post kept in
``general.failed_posts_dir``)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cdr_engine
import pytest
from aiohttp import web
from cdr_engine import CALL, MAP_FIELDS, T

from tollgate.testing.client import RpcError
from tollgate.testing.engine import EngineProcess

CSV_FIELDS = [
    {"path": "*exp.OriginID", "type": "*composed", "value": "~*req.OriginID"},
    {"path": "*exp.RunID", "type": "*composed", "value": "~*req.RunID"},
    {"path": "*exp.Account", "type": "*composed", "value": "~*req.Account"},
    {"path": "*exp.Destination", "type": "*composed", "value": "~*req.Destination"},
    {"path": "*exp.AnswerTime", "type": "*composed", "value": "~*req.AnswerTime"},
    {"path": "*exp.Usage", "type": "*composed", "value": "~*req.Usage"},
    {"path": "*exp.Cost", "type": "*composed", "value": "~*req.Cost", "rounding_decimals": 4},
]
FWV_FIELDS = [
    {"path": "*hdr.Type", "type": "*constant", "value": "10"},
    {"path": "*hdr.ExportID", "type": "*handler", "value": "*export_id", "width": 10,
     "padding": "*zeroleft"},
    {"path": "*hdr.First", "type": "*handler", "value": "*first_cdr_atime",
     "layout": "20060102150405"},
    {"path": "*exp.Account", "type": "*composed", "value": "~*req.Account", "width": 6,
     "padding": "*right"},
    {"path": "*exp.Destination", "type": "*composed", "value": "~*req.Destination", "width": 6,
     "padding": "*left"},
    {"path": "*exp.Cost", "type": "*composed", "value": "~*req.Cost", "rounding_decimals": 2,
     "width": 8, "padding": "*zeroleft"},
    {"path": "*exp.Usage", "type": "*composed", "value": "~*req.Usage{*duration_seconds}",
     "width": 5, "padding": "*zeroleft"},
    {"path": "*exp.Answer", "type": "*datetime", "value": "~*req.AnswerTime",
     "layout": "0102150405"},
    {"path": "*trl.Type", "type": "*constant", "value": "90"},
    {"path": "*trl.Nr", "type": "*handler", "value": "*cdrs_number", "width": 4,
     "padding": "*zeroleft"},
    {"path": "*trl.Usage", "type": "*handler", "value": "*total_usage"},
    {"path": "*trl.Fill", "type": "*filler", "value": "", "width": 3},
    {"path": "*trl.Cost", "type": "*handler", "value": "*cdrs_cost"},
]  # fmt: skip


class PostServer:
    """A real aiohttp server in its own thread; keeps (path, content type, body) posted;
    ``/broken`` answers 500."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, str, bytes]] = []
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    async def _hook(self, request: web.Request) -> web.Response:
        self.posts.append((request.path, request.content_type, await request.read()))
        return web.Response(status=500 if request.path == "/broken" else 200, text="OK")

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._hook)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = self._runner.addresses[0][1]

    def __enter__(self) -> PostServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(timeout=10)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._runner is not None
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def wait_for(
        self, path: str, count: int, *, json_only: bool = False, timeout: float = 20.0
    ) -> list[bytes]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            bodies = [
                body
                for p, ctype, body in self.posts
                if p == path and (not json_only or ctype == "application/json")
            ]
            if len(bodies) >= count:
                return bodies
            time.sleep(0.05)
        raise TimeoutError(f"{count} post(s) to {path} expected, got {self.posts}")


@pytest.fixture(scope="module")
def server() -> Iterator[PostServer]:
    with PostServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def engine(
    tmp_path_factory: pytest.TempPathFactory, server: PostServer, failed_dir: Path
) -> Iterator[EngineProcess]:
    base = f"http://127.0.0.1:{server.port}"
    cdre = {
        "csv": {"export_format": "*file_csv", "fields": CSV_FIELDS},
        "fwv": {"export_format": "*file_fwv", "fields": FWV_FIELDS},
        "attrs": {"export_format": "*file_csv", "attributes_context": "*cdre",
                  "fields": CSV_FIELDS},
        "post": {"export_format": "*http_post", "export_path": f"{base}/post",
                 "synchronous": True, "fields": MAP_FIELDS},
        "online": {"export_format": "*http_json_map", "export_path": f"{base}/online",
                   "filters": ["*string:~*req.RunID:*default"], "fields": MAP_FIELDS},
        "broken": {"export_format": "*http_json_map", "export_path": f"{base}/broken",
                   "synchronous": True, "attempts": 1, "fields": MAP_FIELDS},
    }  # fmt: skip
    extra = {"apiers": {"attributes_conns": ["*internal"]}}
    cfg = cdr_engine.config(failed_dir, cdre, ["online", "broken"], extra)
    proc = cdr_engine.start(tmp_path_factory.mktemp("exporters"), cfg, "exp")
    try:
        yield proc
    finally:
        assert proc.stop() == 0, proc.log()


call = cdr_engine.call


def error(proc: EngineProcess, method: str, params: Any) -> str:
    with pytest.raises(RpcError) as info:
        call(proc, method, params)
    return str(info.value)


def cgrid(origin_id: str) -> str:
    return hashlib.sha1(f"{origin_id}10.0.0.9".encode()).hexdigest()


FILTER = {"OriginIDs": ["exp1", "exp2"], "RunIDs": ["*default"], "OrderBy": "OrderID"}


def test_export_to_csv_file(engine: EngineProcess, tmp_path: Path) -> None:
    reply = call(
        engine,
        "APIerSv1.ExportCDRs",
        {"ExportArgs": {"ExportTemplate": "csv", "ExportPath": str(tmp_path), "ExportID": "t1"},
         "Verbose": True, **FILTER},
    )  # fmt: skip
    path = tmp_path / "cdre_t1.csv"
    assert reply["ExportedPath"] == str(path)
    assert (reply["TotalRecords"], reply["TotalCost"]) == (2, 1.4338)
    assert reply["FirstOrderID"] < reply["LastOrderID"]
    assert sorted(reply["ExportedCGRIDs"]) == sorted([cgrid("exp1"), cgrid("exp2")])
    assert reply["UnexportedCGRIDs"] == {}
    assert path.read_text() == (
        "exp1,*default,1001,1002,2024-01-02T10:00:00Z,2m10s,0.7169\n"
        "exp2,*default,1002,1001,2024-01-02T11:00:00Z,2m10s,0.7169\n"
    )


def test_export_through_attributes(engine: EngineProcess, tmp_path: Path) -> None:
    """``attributes_context``: each CDR goes through AttributeS before it is written; only
    what a profile altered changes."""
    profile = {
        "Tenant": T, "ID": "ATTR_CDRE_HIDE", "Contexts": ["*cdre"],
        "FilterIDs": ["*string:~*req.Account:1001"],
        "Attributes": [
            {"Path": "*req.Destination", "Type": "*constant",
             "Value": [{"Rules": "hidden", "AllFiltersMatch": True}]},
            {"Path": "*req.Usage", "Type": "*constant",
             "Value": [{"Rules": "1m", "AllFiltersMatch": True}]},
        ],
        "Weight": 10,
    }  # fmt: skip
    assert call(engine, "APIerSv1.SetAttributeProfile", profile) == "OK"
    try:
        reply = call(
            engine,
            "APIerSv1.ExportCDRs",
            {"ExportTemplate": "attrs", "ExportPath": str(tmp_path), "ExportID": "a1", **FILTER},
        )
    finally:
        call(engine, "APIerSv1.RemoveAttributeProfile", {"Tenant": T, "ID": "ATTR_CDRE_HIDE"})
    assert reply["TotalRecords"] == 2
    assert (tmp_path / "cdre_a1.csv").read_text() == (
        "exp1,*default,1001,hidden,2024-01-02T10:00:00Z,1m0s,0.7169\n"
        "exp2,*default,1002,1001,2024-01-02T11:00:00Z,2m10s,0.7169\n"
    )
    # the stored CDRs are not changed by an export
    [stored] = call(engine, "CDRsV1.GetCDRs", {"OriginIDs": ["exp1"], "RunIDs": ["*default"]})
    assert (stored["Destination"], stored["Usage"]) == ("1002", 130_000_000_000)


def test_export_to_fixed_width_file(engine: EngineProcess, tmp_path: Path) -> None:
    reply = call(
        engine,
        "APIerSv1.ExportCDRs",
        {"ExportTemplate": "fwv", "ExportPath": str(tmp_path), "ExportID": "e1",
         "ExportFileName": "out.fwv", **FILTER},
    )  # fmt: skip
    assert reply["ExportedPath"] == str(tmp_path / "out.fwv")
    assert reply["ExportedCGRIDs"] is None  # not Verbose
    assert (tmp_path / "out.fwv").read_text() == (
        "10" "00000000e1" "20240102100000\n"
        "1001    100200000.72001300102100000\n"
        "1002    100100000.72001300102110000\n"
        "90" "0002" "4m20s" "   " "1.4338\n"
    )  # fmt: skip


def test_export_by_http_post(engine: EngineProcess, server: PostServer) -> None:
    reply = call(
        engine,
        "APIerSv1.ExportCDRs",
        {"ExportArgs": {"ExportTemplate": "post", "ExportID": "p1"}, "Verbose": True, **FILTER},
    )
    assert reply["ExportedPath"] == f"http://127.0.0.1:{server.port}/post/cdre_p1.*http_post"
    bodies = server.wait_for("/post/cdre_p1.*http_post", 2)
    forms = sorted(
        (dict(urllib.parse.parse_qsl(b.decode())) for b in bodies), key=lambda f: f["Account"]
    )
    assert forms == [
        {"Account": "1001", "Cost": "0.7169", "RunID": "*default"},
        {"Account": "1002", "Cost": "0.7169", "RunID": "*default"},
    ]
    assert {ct for p, ct, _ in server.posts if p.startswith("/post/")} == {
        "application/x-www-form-urlencoded"
    }
    # a post that fails is reported by CGRID (offline exports keep no failed posts)
    reply = call(
        engine,
        "APIerSv1.ExportCDRs",
        {"ExportArgs": {"ExportTemplate": "post", "ExportPath": f"http://127.0.0.1:{server.port}",
                        "ExportFileName": "broken"},
         "Verbose": True, "OriginIDs": ["exp1"], "RunIDs": ["*default"]},
    )  # fmt: skip
    assert reply["TotalRecords"] == 0  # nothing exported: v0.10's empty reply
    assert reply["ExportedPath"] == ""


def test_online_exports_and_failed_posts(
    engine: EngineProcess, server: PostServer, failed_dir: Path
) -> None:
    event = {**CALL, "OriginID": "exp3", "Account": "1001", "Destination": "1002",
             "AnswerTime": "2024-01-02T12:00:00Z"}  # fmt: skip
    args = {"Flags": ["*rals", "*store", "*export"], "Tenant": T, "Event": event}
    assert call(engine, "CDRsV1.ProcessEvent", args) == "OK"
    [online] = server.wait_for("/online", 1)  # the profile's filter keeps the *default run
    assert json.loads(online) == {"Account": "1001", "RunID": "*default", "Cost": "0.7169"}
    # both runs, each failing with a 500 (a form post there is the offline test's)
    broken = server.wait_for("/broken", 2, json_only=True)
    assert len(broken) == 2
    kept = [json.loads(p.read_text()) for p in failed_dir.iterdir()]
    assert len(kept) == 2
    assert {k["Path"] for k in kept} == {f"http://127.0.0.1:{server.port}/broken"}
    assert {k["Format"] for k in kept} == {"*http_json_map"}
    assert sorted(json.loads(k["Body"])["RunID"] for k in kept) == ["*default", "*raw"]


def test_export_errors_and_nothing_to_export(engine: EngineProcess, tmp_path: Path) -> None:
    assert error(engine, "APIerSv1.ExportCDRs", {"ExportTemplate": "nope"}) == (
        "NOT_FOUND:ExportTemplate"
    )
    assert error(engine, "APIerSv1.ExportCDRs", {"ExportArgs": {"ExportFormat": "*xml"}}) == (
        "MANDATORY_IE_MISSING: [CdrFormat]"
    )
    assert error(engine, "APIerSv1.ExportCDRs", {"SetupTimeStart": "bogus"}).startswith(
        "SERVER_ERROR"
    )
    reply = call(
        engine,
        "APIerSv1.ExportCDRs",
        {"ExportTemplate": "csv", "ExportPath": str(tmp_path), "OriginIDs": ["none"]},
    )
    assert reply == {
        "ExportedPath": "", "TotalRecords": 0, "TotalCost": 0, "FirstOrderID": 0,
        "LastOrderID": 0, "ExportedCGRIDs": None, "UnexportedCGRIDs": None,
    }  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_reload_cdre_config(engine: EngineProcess, tmp_path: Path) -> None:
    """APIerSv1.ReloadCdreConfig reads the cdre profiles again; the rest is kept."""
    config = json.loads(engine.config_path.read_text())
    config["cdre"]["fresh"] = {"export_format": "*file_csv", "fields": CSV_FIELDS[:2]}
    config["general"]["default_timezone"] = "Europe/Paris"  # not a cdre key: not applied
    folder = tmp_path / "conf"
    folder.mkdir()
    (folder / "cgrates.json").write_text(json.dumps(config))
    args = {"ExportTemplate": "fresh", "ExportPath": str(tmp_path), "ExportID": "r1", **FILTER}
    assert error(engine, "APIerSv1.ExportCDRs", args) == "NOT_FOUND:ExportTemplate"
    assert call(engine, "APIerSv1.ReloadCdreConfig", {"ConfigDir": str(folder)}) == "OK"
    call(engine, "APIerSv1.ExportCDRs", args)
    assert (tmp_path / "cdre_r1.csv").read_text() == "exp1,*default\nexp2,*default\n"
    general = call(engine, "ConfigSv1.GetJSONSection", {"Section": "general"})
    assert general["default_timezone"] == "UTC"
    assert error(
        engine, "APIerSv1.ReloadCdreConfig", {"ConfigDir": str(tmp_path / "missing")}
    ).startswith("SERVER_ERROR")


def test_export_cdrs_to_file_the_older_api(engine: EngineProcess, tmp_path: Path) -> None:
    reply = call(
        engine,
        "APIerSv2.ExportCdrsToFile",
        {"ExportTemplate": "csv", "ExportDirectory": str(tmp_path), "ExportID": "old",
         "Verbose": True, **FILTER},
    )  # fmt: skip
    path = tmp_path / "cdre_old.csv"
    assert reply == {
        "ExportedFilePath": str(path), "TotalRecords": 2, "TotalCost": 1.4338,
        "FirstOrderId": reply["FirstOrderId"], "LastOrderId": reply["LastOrderId"],
        "ExportedCgrIds": reply["ExportedCgrIds"], "UnexportedCgrIds": {},
    }  # fmt: skip
    assert sorted(reply["ExportedCgrIds"]) == sorted([cgrid("exp1"), cgrid("exp2")])
    assert reply["FirstOrderId"] < reply["LastOrderId"]
    assert path.read_text().startswith("exp1,*default,1001,1002,")
    assert error(engine, "APIerSv2.ExportCdrsToFile", {"CdrFormat": "*xml"}) == (
        "MANDATORY_IE_MISSING: [CdrFormat]"
    )
    nothing = call(engine, "APIerSv2.ExportCdrsToFile", {"OriginIDs": ["none"]})
    assert nothing["ExportedFilePath"] == ""
