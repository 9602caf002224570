"""The served method table against CGRateS v0.10's list, with a shrinking "not yet" list."""

from __future__ import annotations

from pathlib import Path

from tollgate.core.config import load_config
from tollgate.engine.app import Engine

ROOT = Path(__file__).resolve().parents[3]
SPEC = ROOT.parent / "shared" / "spec" / "cgrates-v0.10" / "rpc_methods.txt"
NOT_YET = ROOT / "tests" / "fixtures" / "rpc_methods_not_yet.txt"

# served on purpose although not in v0.10's list: later CGRateS spellings and Go's mock
EXTRAS = {
    "APIerSv1.GetMaxUsage",  # in v0.10's APIerSv1 though not in its list (issue 4 names it)
    "APIerSv1.GetAttributeProfileIDsCount",  # in v0.10's APIerSv1, not in its list (issue 5)
    "APIerSv1.RemoveCDRs",  # in v0.10's APIerSv1 (apier/v1/cdrs.go), not in its list (issue 7)
    "ConfigSv1.GetConfig",
    "ConfigSv1.ReloadConfig",
    "ConfigSv1.SetConfig",
    "_goRPC_.Cancel",
}


# in v0.10's list because SessionS calls them on its clients (agents, switches over BiJSON);
# v0.10's engine serves neither, so both get the router's unknown-method answer here too
CLIENT_SIDE = {"SessionSv1.DisconnectSession", "SessionSv1.GetActiveSessionIDs"}


def _lines(path: Path) -> set[str]:
    return {
        line.strip()
        for line in path.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }


def _served() -> set[str]:
    # building an Engine opens nothing: no port, no file
    engine = Engine(load_config(None), data_dir=Path("/nonexistent"), node_id="test")
    return set(engine.router.names())


def test_every_v010_method_is_served_or_listed_as_not_yet() -> None:
    spec, served, not_yet = _lines(SPEC), _served(), _lines(NOT_YET)
    missing = spec - served - not_yet - CLIENT_SIDE
    assert missing == set(), "methods neither served nor listed as not yet"
    assert CLIENT_SIDE & served == set()


def test_the_not_yet_list_only_shrinks() -> None:
    served, not_yet = _served(), _lines(NOT_YET)
    assert not_yet & served == set(), "served now: remove these from the not-yet list"
    assert not_yet <= _lines(SPEC), "the not-yet list names methods v0.10 does not have"


def test_nothing_is_served_that_v010_does_not_know_unless_deliberate() -> None:
    assert _served() - _lines(SPEC) == EXTRAS
