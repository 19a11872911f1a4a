"""The cumulative-progress chart of an area: SVG coordinates for the template to draw."""

import datetime as dt
from dataclasses import dataclass

from coklit.clock import Clock
from coklit.models import DailyProgress
from coklit.selectors import percent
from kpu.models import Area


@dataclass(frozen=True)
class Chart:
    """The cumulative-progress chart as SVG coordinates (drawn by the template)."""

    width: int
    height: int
    left: int
    top: int
    plot_w: int
    plot_h: int
    actual: str  # polyline points
    ideal: str
    today_x: float | None
    last_point: tuple[float, float] | None
    last_percent: float
    grid: list  # [(y, label)]
    start: dt.date
    end: dt.date
    days: int


def progress_chart(*, area: Area, clock: Clock, target: int) -> Chart | None:
    """Cumulative % done per day over the coklit period, against the ideal straight line.

    Each point is the end of a day: done results recorded up to and including that day (from
    DailyProgress, in the election's zone), over the voters on the list. One query.
    """
    if clock.start is None or clock.end is None:
        return None
    start, end = clock.start, clock.end
    days = (end - start).days + 1
    # Narrower than wide screens need and taller than it looks: on a 360 px phone the plot is
    # still ~170 px tall (at 640 x 230 it was ~90 px).
    width, height, left, top, right, bottom = 480, 280, 46, 14, 12, 34
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(day_index: float) -> float:  # 0 = start of the first day, days = end of the last
        return round(left + plot_w * day_index / days, 1)

    def y(pct: float) -> float:
        return round(top + plot_h * (1 - min(pct, 100.0) / 100), 1)

    daily = dict(
        DailyProgress.objects.filter(area_code=area.code, day__lte=end).values_list("day", "done")
    )
    before = sum(n for d, n in daily.items() if d < start)
    last_day = min(clock.today, end)
    points = [(x(0), y(0.0))]
    cumulative = before
    pct = 0.0
    if clock.today >= start:
        for i in range((last_day - start).days + 1):
            cumulative += daily.get(start + dt.timedelta(days=i), 0)
            pct = percent(cumulative, target)
            # Today is drawn up to now, the days before to their end.
            at = i + 1
            if start + dt.timedelta(days=i) == clock.today:
                at = i + (clock.now.hour * 60 + clock.now.minute) / 1440
            points.append((x(at), y(pct)))
    today_x = None
    if start <= clock.today <= end:
        today_x = points[-1][0]
    return Chart(
        width=width,
        height=height,
        left=left,
        top=top,
        plot_w=plot_w,
        plot_h=plot_h,
        actual=" ".join(f"{a},{b}" for a, b in points),
        ideal=f"{x(0)},{y(0)} {x(days)},{y(100)}",
        today_x=today_x,
        last_point=points[-1] if len(points) > 1 else None,
        last_percent=pct,
        grid=[(y(p), p) for p in (0, 25, 50, 75, 100)],
        start=start,
        end=end,
        days=days,
    )
