"""Report runners, after PostHog's query runners: a typed query in, a typed result out.

A runner is built with the store and a frozen-dataclass query; ``run()`` returns a frozen
dataclass result, from Django's cache when it can. The cache key contains the runner's name
and ``VERSION`` (bump it when the result's shape or meaning changes), the store id, the store's
time zone, the store's rollup generation (it moves whenever a rollup rewrites rows, see
``analytics.rollups.services.bump_generation``) and the query itself.

Views, the API and CSV exports call runners and render; they never compute a metric.
"""

import dataclasses
import hashlib
import json
from typing import ClassVar, Generic, TypeVar

from django.core.cache import cache
from django.utils import translation

from analytics.rollups.services import rollup_generation
from opsdesk.models import Store

QueryT = TypeVar("QueryT")
ResultT = TypeVar("ResultT")

#: Cached results live this long at most (a rollup moves the generation before that).
CACHE_SECONDS = 6 * 60 * 60


class ReportRunner(Generic[QueryT, ResultT]):
    """Base of every report runner. Subclasses set ``name``, ``version`` and implement
    ``calculate()``; they read ``self.store`` and ``self.query``."""

    name: ClassVar[str]
    version: ClassVar[int] = 1

    def __init__(self, *, store: Store, query: QueryT) -> None:
        self.store = store
        self.query = query

    def cache_key(self) -> str:
        """``analytics:<name>:v<version>:store<id>:<zone>:<language>:g<generation>:<digest>``.

        The language is part of the key because results carry translated labels and messages
        (a flag's text names its channel)."""
        payload = json.dumps(
            dataclasses.asdict(self.query), sort_keys=True, default=str, separators=(",", ":")
        )
        digest = hashlib.sha256(payload.encode()).hexdigest()[:32]
        generation = rollup_generation(self.store.pk)
        return (
            f"analytics:{self.name}:v{self.version}:store{self.store.pk}:"
            f"{self.store.time_zone}:{translation.get_language() or 'none'}:g{generation}:{digest}"
        )

    def calculate(self) -> ResultT:
        raise NotImplementedError

    def cached(self) -> ResultT | None:
        """The cached result, or None when there is none (nothing is computed)."""
        return cache.get(self.cache_key())

    def run(self, *, use_cache: bool = True) -> ResultT:
        """The result, from the cache when present (``use_cache=False`` recomputes and
        refreshes the cache entry)."""
        key = self.cache_key()
        if use_cache:
            cached = cache.get(key)
            if cached is not None:
                return cached
        result = self.calculate()
        cache.set(key, result, CACHE_SECONDS)
        return result
