"""After a big load, the objects it built leave the cyclic garbage collector's scans.

A tariff plan of 100,000 profiles leaves about three million GC-tracked objects (compiled
profiles, attributes, rules, filters, index entries) that live until the next load. Each
full collection of CPython's cyclic GC rescans all of them, which happens whenever enough
new objects have survived: a pause of 1.5-4 s on a shared 2-core machine, in the middle of
serving. After a load that changed at least :data:`BIG_LOAD` items the loader collects once
and calls ``gc.freeze()``: what is alive then moves to the permanent generation and is
never scanned again. What a later load replaces is still freed, by reference counting (the
compiled objects hold no reference cycles); only a cycle alive at the freeze and dropped
later would stay in memory.
"""

from __future__ import annotations

import gc
import logging
import time

__all__ = ["BIG_LOAD", "settle_after_load"]

logger = logging.getLogger(__name__)

BIG_LOAD = 10_000


def settle_after_load(changed: int) -> bool:
    """Collect and freeze the heap when ``changed`` items were (re)built; True if done.
    Nothing happens while the GC is off (the caller or the embedding program disabled it)."""
    if changed < BIG_LOAD or not gc.isenabled():
        return False
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    logger.info(
        "heap settled after %d new items: %d objects frozen, in %.2f s",
        changed,
        gc.get_freeze_count(),
        time.perf_counter() - started,
    )
    return True
