"""One engine process: config, method table, services, reloads and a clean stop."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from pathlib import Path
from typing import Any

from tollgate.accounts import (
    AccountService,
    APIerSv1Accounts,
    APIerSv1Debits,
    APIerSv2Accounts,
    DebitService,
    ResponderAccounts,
    SharedGroups,
)
from tollgate.accounts.actions import ActionService
from tollgate.accounts.actions_api import APIerSv1Actions, APIerSv2Actions
from tollgate.accounts.actions_rpc import ApierDestinations
from tollgate.accounts.triggers import TriggerService
from tollgate.accounts.triggers_api import APIerSv1Triggers, APIerSv2Triggers
from tollgate.apier import (
    ApierService,
    APIerSv1Rating,
    APIerSv1StorDBVersions,
    APIerSv1TariffPlans,
    APIerSv1TPAccounts,
    APIerSv1TPFolders,
    APIerSv1TPLoads,
    APIerSv1TPProfiles,
    APIerSv1TPRating,
    APIerSv2Rating,
    APIerSv2TariffPlans,
    APIerSv2TPRating,
    load_partition,
)
from tollgate.attributes import (
    APIerSv1Attributes,
    APIerSv2Attributes,
    AttributeService,
    AttributeSv1,
)
from tollgate.caches import APIerSv1Caches, APIerSv2Caches, CacheService, CacheSv1
from tollgate.cdrs import (
    APIerSv1CDRs,
    APIerSv2CDRs,
    CDRService,
    CDRsV1,
    CDRsV2,
    CdrsV2,
    HttpIntake,
)
from tollgate.chargers import APIerSv1Chargers, ChargerService, ChargerSv1
from tollgate.core.api import Api
from tollgate.core.config import Config, load_config
from tollgate.core.errors import TollgateError
from tollgate.core.registry import Registry
from tollgate.engine.api import ConfigSv1, CoreSv1, GoRPC
from tollgate.engine.logs import apply_log_level
from tollgate.engine.services import (
    BiJsonService,
    DataDBService,
    HttpService,
    RpcJsonService,
    StorDBService,
    default_data_dir,
)
from tollgate.exporters import APIerSv1Exports, APIerSv2Exports, ExportService
from tollgate.filters import APIerSv1Filters, FilterService
from tollgate.rating import (
    APIerSv1Costs,
    RALsV1,
    RatingService,
    RatingSettings,
    ResponderCosts,
    convert_tariff_plan,
)
from tollgate.rpc.dispatch import Dispatcher, Limiter
from tollgate.rpc.metrics import RpcMetrics
from tollgate.rpc.pool import ConnManager
from tollgate.rpc.router import Router
from tollgate.rpc.tls import client_context
from tollgate.scheduler import (
    APIerSv1ActionPlans,
    APIerSv2ActionPlans,
    SchedulerService,
    SchedulerSv1,
)
from tollgate.sessions import SessionService, SessionSv1, SessionSv1Sessions, SMGenericV1
from tollgate.storage.datadb import DataDB

__all__ = ["Engine"]

logger = logging.getLogger(__name__)

# the DataDB partitions rating is built from, in convert_tariff_plan's argument order
_RATING_KINDS = (
    "*destinations",
    "*timings",
    "*rates",
    "*destination_rates",
    "*rating_plans",
    "*rating_profiles",
)


def rating_settings(cfg: Config) -> RatingSettings:
    """What rating reads from ``general`` and ``rals``."""
    general = cfg.general
    return RatingSettings(
        rounding_decimals=general.rounding_decimals,
        default_tenant=general.default_tenant,
        default_category=general.default_category,
        default_timezone=general.default_timezone,
        rp_subject_prefix_matching=cfg.rals.rp_subject_prefix_matching,
        max_computed_usage=dict(cfg.rals.max_computed_usage),
    )


# Sections whose change is applied by restarting the listeners; the rest of the
# foundation's sections (stores) need a process restart, which a reload says plainly.
_RESTART_NEEDED = ("data_db", "stor_db")


class Engine:
    """Everything one ``tollgate engine`` runs; tests build their own."""

    def __init__(
        self,
        cfg: Config,
        *,
        config_path: str | None = None,
        data_dir: str | Path | None = None,
        node_id: str | None = None,
        preload: tuple[str, ...] = (),
    ) -> None:
        self.cfg = cfg
        self.config_path = config_path
        self.data_dir = Path(data_dir or cfg.general.data_dir or default_data_dir())
        self.node_id = node_id or cfg.general.node_id or uuid.uuid4().hex[:7]
        self.started_at = dt.datetime.now(dt.UTC)
        self.metrics = RpcMetrics()
        self.router = Router()
        self.limiter = Limiter(cfg.general.concurrent_requests, cfg.general.concurrent_strategy)
        self.dispatcher = Dispatcher(self.router, limiter=self.limiter, metrics=self.metrics)
        self.metrics.add_gauge(
            "tollgate_active_sessions",
            "active sessions (SessionS): runs of the sessions in progress",
            lambda: float(self.sessions.active_runs()),
        )
        self.conns = self._conn_manager(cfg)
        self.datadb = DataDBService(self)
        self.stordb = StorDBService(self)
        self.apier = ApierService(lambda: self.datadb.db, preload=preload)
        self.rating = RatingService(settings=rating_settings(cfg))
        self.accounts = AccountService(
            lambda: self.datadb.db, rounding_decimals=cfg.general.rounding_decimals
        )
        self.filters = FilterService(
            lambda: self.datadb.db,
            cfg=lambda: self.cfg,
            rating_data=lambda: self.rating.data,
            accounts=self.accounts,
            conns=lambda: self.conns,
        )
        self.apier.on_load(self.filters.reload)  # first: others' hooks may pass filters
        self.attributes = AttributeService(self.filters, cfg=lambda: self.cfg)
        self.apier.on_load(self.attributes.reload)
        self.chargers = ChargerService(self.filters, cfg=lambda: self.cfg, conns=lambda: self.conns)
        self.apier.on_load(self.chargers.reload)
        self.caches = CacheService(
            lambda: self.cfg,
            datadb=lambda: self.datadb.db,
            filters=self.filters,
            stores=(self.attributes.store, self.chargers.store),
        )
        self.triggers = TriggerService(
            lambda: self.datadb.db,
            self.accounts,
            lambda: getattr(self, "actions", None),
            destination_ids=self._destination_ids,
            timezone=lambda: self.cfg.general.default_timezone,
            remove_expired=lambda: self.cfg.rals.remove_expired,
        )
        self.accounts.change_hooks.append(self.triggers.on_change)
        self.actions = ActionService(
            lambda: self.datadb.db,
            self.accounts,
            conns=lambda: self.conns,
            config=lambda: self.cfg,
            destinations=ApierDestinations(self.apier),
            stordb=lambda: self.stordb.db,
        )
        self.apier.on_load(self.actions.on_load)
        self.scheduler = SchedulerService(
            lambda: self.datadb.db,
            self.accounts,
            config=lambda: self.cfg,
            actions=lambda: getattr(self, "actions", None),
            triggers=lambda: self.triggers,
            conns=lambda: self.conns,
            filters=lambda: self.filters,
        )
        self.apier.on_plan_loaded(self.scheduler.on_plan_loaded)
        self.accounts.removed_hooks.append(self.scheduler.on_account_removed)
        self.apier.on_load(self._reload_rating)
        self.shared_groups = SharedGroups(self.accounts)
        self.accounts.change_hooks.append(self.shared_groups.on_commit)
        self.apier.on_load(self.shared_groups.reload)
        self.debits = DebitService(
            self.accounts, self.rating, self.shared_groups, config=lambda: self.cfg
        )
        self.sessions = SessionService(
            lambda: self.cfg,
            lambda: self.conns,
            self.filters,
            self._bijson_clients,
            self.node_id,
        )
        self.cdrs = CDRService(lambda: self.cfg, lambda: self.conns, lambda: self.stordb.db)
        self.exports = ExportService(self.actions, self.filters)
        self.cdrs.online_export = self.exports.online
        for api in self.apis():
            self.router.add_api(api)
        self.listeners = [
            RpcJsonService(self),
            RpcJsonService(self, tls=True),
            HttpService(self),
            HttpService(self, tls=True),
            BiJsonService(self),
        ]
        self.registry = Registry(
            [self.datadb, self.stordb, self.apier, self.scheduler, self.sessions, *self.listeners]
        )
        self._reload_lock = asyncio.Lock()
        self._background: set[asyncio.Task[None]] = set()

    def apis(self) -> list[Api]:
        """Every API object the engine serves; the method table is built from these."""
        exports_v1 = APIerSv1Exports(self.exports, self.cdrs, lambda: self.cfg, self.reload_config)
        return [
            CoreSv1(self),
            ConfigSv1(self),
            GoRPC(),
            SessionSv1(self),
            (sessions_api := SessionSv1Sessions(self.sessions)),
            SMGenericV1(sessions_api),
            APIerSv1TariffPlans(self.apier),
            APIerSv2TariffPlans(self.apier),
            APIerSv1Rating(self.apier, self.rating),
            APIerSv2Rating(self.apier, self.rating),
            APIerSv1TPRating(lambda: self.stordb.db),
            APIerSv2TPRating(lambda: self.stordb.db),
            APIerSv1TPLoads(
                lambda: self.stordb.db, self.apier, lambda: self.cfg.general.default_timezone
            ),
            APIerSv1TPFolders(lambda: self.stordb.db, self.apier),
            APIerSv1TPAccounts(lambda: self.stordb.db, lambda: self.cfg.general.default_tenant),
            APIerSv1TPProfiles(lambda: self.stordb.db),
            APIerSv1StorDBVersions(lambda: self.stordb.db),
            ResponderCosts(self.rating),
            APIerSv1Costs(self.rating),
            RALsV1(self.rating),
            ResponderAccounts(self.debits),
            APIerSv1Debits(self.debits, self.shared_groups),
            APIerSv1Accounts(
                self.accounts, self.cfg.general.default_timezone, self.triggers, self.scheduler
            ),
            APIerSv2Accounts(
                self.accounts, self.cfg.general.default_timezone, self.triggers, self.scheduler
            ),
            APIerSv1Triggers(self.triggers, self.apier, lambda: self.cfg.general.default_timezone),
            APIerSv2Triggers(self.triggers, self.apier, lambda: self.cfg.general.default_timezone),
            APIerSv1Actions(self.actions, self.apier),
            APIerSv2Actions(self.actions, self.apier),
            APIerSv1ActionPlans(self.scheduler, stordb=lambda: self.stordb.db, loader=self.apier),
            APIerSv2ActionPlans(self.scheduler),
            SchedulerSv1(self.scheduler),
            APIerSv1Filters(self.filters, self.apier),
            AttributeSv1(self.attributes),
            APIerSv1Attributes(self.attributes, self.apier),
            APIerSv2Attributes(self.attributes, self.apier),
            ChargerSv1(self.chargers),
            APIerSv1Chargers(self.chargers, self.apier),
            CacheSv1(self.caches),
            APIerSv1Caches(self.caches),
            APIerSv2Caches(self.caches),
            CDRsV1(self.cdrs),
            CDRsV2(self.cdrs),
            CdrsV2(self.cdrs),
            APIerSv1CDRs(self.cdrs),
            APIerSv2CDRs(self.cdrs),
            exports_v1,
            APIerSv2Exports(exports_v1),
        ]

    def http_routes(self) -> list[tuple[str, str, Any]]:
        """Routes subsystems add to the HTTP listeners: the CDR intake while CDRs runs."""
        return HttpIntake(self.cdrs).routes() if self.cfg.cdrs.enabled else []

    def _bijson_clients(self) -> dict[str, Any]:
        """The connected BiJSON clients by connection id (SessionS calls them back)."""
        for service in self.listeners:
            if isinstance(service, BiJsonService) and service.server is not None:
                return dict(service.server.clients)
        return {}

    def _destination_ids(self, number: str) -> list[str]:
        """The ids of the destinations ``number`` belongs to (any matching prefix)."""
        return [dest for _, ids in self.rating.data.prefixes_of(number) for dest in ids]

    async def _reload_rating(self, db: DataDB) -> None:
        """Rebuild the rating data from the stored tariff plans (at start, after loads)."""
        stored = {kind: await load_partition(db, kind) for kind in _RATING_KINDS}
        converted = convert_tariff_plan(
            *(stored[kind] for kind in _RATING_KINDS),
            timezone=self.cfg.general.default_timezone,
        )
        self.rating.data.replace(
            converted.destinations, converted.rating_plans, converted.rating_profiles
        )

    def _conn_manager(self, cfg: Config) -> ConnManager:
        """``rpc_conns`` as pools of clients; ``*internal`` calls this engine's router."""
        general = cfg.general
        tls = cfg.tls
        needs_tls = any(host.tls for conn in cfg.rpc_conns.values() for host in conn.conns)
        return ConnManager(
            cfg.rpc_conns,
            self.router,
            reply_timeout=general.reply_timeout / 1e9,
            connect_timeout=general.connect_timeout / 1e9,
            connect_attempts=general.connect_attempts,
            reconnects=general.reconnects,
            tls_context=(
                client_context(tls, skip_verify=general.http_skip_tls_verify) if needs_tls else None
            ),
        )

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        await self.registry.start()
        logger.info(
            "Tollgate engine %s started (data in %s, %d RPC methods)",
            self.node_id,
            self.data_dir,
            len(self.router.names()),
        )

    async def stop(self) -> None:
        for task in list(self._background):
            await task
        await self.actions.close()
        await self.registry.stop()
        await self.conns.close()
        logger.info("Tollgate engine %s stopped", self.node_id)

    def listener(self, name: str) -> str:
        """The address a listener is bound to (useful with port 0), or ""."""
        for service in self.listeners:
            if service.name == name:
                return service.bound_address
        return ""

    # -- EngineControl (ConfigSv1) ------------------------------------------------------------

    def config_section(self, section: str) -> Any:
        """One section in cgrates.json form (a list for loaders/http_agent), or all."""
        return self.cfg.as_json(section) if section else self.cfg.as_json()

    async def reload_config(self, path: str = "", section: str = "") -> None:
        """Re-read the config (SIGHUP, ConfigSv1.ReloadConfigFromPath) and apply it."""
        if section and section not in self.cfg.as_json():
            raise TollgateError(f"Invalid section: <{section}>")  # v0.10's exact text
        source = path or self.config_path
        new_cfg = await asyncio.to_thread(load_config, source)
        if section:
            new_cfg = self.cfg.merged({section: new_cfg.as_json(section)})
        await self._apply(new_cfg)

    async def apply_config(self, overrides: dict[str, Any], *, dry_run: bool = False) -> None:
        """Apply JSON-shaped sections on top of the running config (ConfigSv1)."""
        new_cfg = self.cfg.merged(overrides)
        if not dry_run:
            await self._apply(new_cfg)

    async def _apply(self, new_cfg: Config) -> None:
        async with self._reload_lock:
            old = self.cfg
            self.cfg = new_cfg
            general = new_cfg.general
            apply_log_level(general.log_level)
            self.limiter.configure(general.concurrent_requests, general.concurrent_strategy)
            self.rating.settings = rating_settings(new_cfg)
            await self.scheduler.reload()  # schedulers.enabled may have changed
            if old.as_json("rpc_conns") != new_cfg.as_json("rpc_conns") or (
                old.as_json("general") != new_cfg.as_json("general")
            ):
                stale, self.conns = self.conns, self._conn_manager(new_cfg)
                await stale.close()
            for name in _RESTART_NEEDED:
                if old.as_json(name) != new_cfg.as_json(name):
                    logger.warning(
                        "config section %s changed: restart the engine to apply it", name
                    )
            # Listeners restart after this call returns: the request asking for the reload
            # may have come in on a listener that is about to move, and must get its reply.
            task = asyncio.get_running_loop().create_task(self._reload_listeners())
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            logger.info("configuration reloaded")

    async def _reload_listeners(self) -> None:
        await asyncio.sleep(0)
        async with self._reload_lock:
            for service in self.listeners:
                try:
                    await service.reload()
                except (OSError, ValueError) as exc:
                    logger.error("listener %s could not restart: %s", service.name, exc)
