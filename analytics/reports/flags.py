"""FlagsRunner: the dashboard's flags of one store-local day (``analytics.flags``)."""

import datetime
from dataclasses import dataclass

from analytics.flags import Flag, flags_for_day

from .base import ReportRunner


@dataclass(frozen=True)
class FlagsQuery:
    day: datetime.date


@dataclass(frozen=True)
class FlagsResult:
    store_id: int
    day: datetime.date
    flags: tuple[Flag, ...]


class FlagsRunner(ReportRunner[FlagsQuery, FlagsResult]):
    name = "flags"
    version = 1

    def calculate(self) -> FlagsResult:
        flags = flags_for_day(store=self.store, day=self.query.day)
        return FlagsResult(store_id=self.store.pk, day=self.query.day, flags=tuple(flags))
