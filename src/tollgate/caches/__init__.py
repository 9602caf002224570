"""CacheS: the cache partitions of compiled profiles and the CacheSv1 API (docs/caches.md)."""

from tollgate.caches.api import APIerSv1Caches, APIerSv2Caches, CacheSv1
from tollgate.caches.partition import CachePartition
from tollgate.caches.service import CacheService

__all__ = ["APIerSv1Caches", "APIerSv2Caches", "CachePartition", "CacheService", "CacheSv1"]
