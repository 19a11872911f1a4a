"""The election clock of the dashboard: now in the election's zone and where it stands in the
coklit period (the expected progress by now, the cut-off after which a silent TPS is late).
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from kpu.models import Area, Pemilihan, tzinfo_of, zone_of

# A TPS that has not synced for this long is an exception on the dashboard (SPEC 7).
STALE_AFTER = dt.timedelta(hours=48)


@dataclass(frozen=True)
class Clock:
    """Now, in the election's zone, and where it stands in the coklit period."""

    now: dt.datetime
    zone: str
    tzinfo: object
    start: dt.date | None
    end: dt.date | None

    @property
    def today(self) -> dt.date:
        return self.now.date()

    @property
    def period_start(self) -> dt.datetime | None:
        if self.start is None:
            return None
        return dt.datetime.combine(self.start, dt.time(), self.tzinfo)

    @property
    def expected(self) -> float | None:
        """Share of the coklit period elapsed (0..1), by the hour: the ideal progress by now.

        The ideal line runs straight from 0% at the start of the first day to 100% at the end of
        the last. Taken at the whole hour so that a poll's ETag (which holds the hour) stays true.
        """
        if self.start is None or self.end is None:
            return None
        total = (self.end - self.start).days + 1
        hour = self.now.replace(minute=0, second=0, microsecond=0)
        elapsed = (hour - self.period_start).total_seconds() / (total * 86400)
        return min(max(elapsed, 0.0), 1.0)

    @property
    def stale_cutoff(self) -> dt.datetime:
        return self.now - STALE_AFTER


def clock_for(*, area: Area, pemilihan: Pemilihan | None, now: dt.datetime | None = None) -> Clock:
    # The election is the area's regency's, so its zone is the area's (kpu.models.zone_of).
    zone, tz = zone_of(area.code), tzinfo_of(area.code)
    now = timezone.localtime(now or timezone.now(), tz)
    return Clock(
        now=now,
        zone=zone,
        tzinfo=tz,
        start=pemilihan.coklit_start if pemilihan else None,
        end=pemilihan.coklit_end if pemilihan else None,
    )
