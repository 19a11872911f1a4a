"""Reads for pages: keyword-only arguments, plain rows or querysets."""

from django.db.models import Count, Sum

from coklit import figures
from coklit.models import FIGURE_FIELDS, TpsFigures
from kpu.models import Area, Pemilihan


def area_breadcrumbs(*, area: Area) -> list[Area]:
    """The area's ancestors from the province down, then the area itself."""
    ancestors = {a.code: a for a in Area.objects.filter(code__in=area.ancestor_codes)}
    return [ancestors[c] for c in area.ancestor_codes if c in ancestors] + [area]


def area_children(*, area: Area):
    return Area.objects.filter(parent=area).order_by("code")


def pemilihan_for(*, area: Area) -> Pemilihan | None:
    """The current election of the area's regency (the latest by voting day)."""
    if area.level < Area.Level.REGENCY:
        return None
    return Pemilihan.objects.filter(regency_id=area.regency_code).select_related("regency").first()


def percent(done: int, target: int) -> float:
    """Completion in percent, rounded *down* to one decimal: 99.96% is 99.9%, never 100%."""
    if target <= 0:
        return 0.0
    return (done * 1000 // target) / 10


# Which TpsFigures column groups the children of an area of each level.
_CHILD_KEY = {
    Area.Level.REGENCY: ("regency_code", "district_code"),
    Area.Level.DISTRICT: ("district_code", "village_code"),
    Area.Level.VILLAGE: ("village_code", "tps_id"),
}


def area_figures(*, area: Area) -> dict[str, int]:
    """The summed figures of an area from its TPS rows (plus `tps_count`)."""
    return figures.area_totals(area=area)


def children_figures(*, area: Area) -> list[tuple[Area, dict[str, int]]]:
    """Each child area with its summed figures, in code order: two queries whatever the size.

    Children without TPS yet get zero figures. TPS have no children: an empty list.
    """
    if area.level not in _CHILD_KEY:
        return []
    own_col, child_col = _CHILD_KEY[area.level]
    rows = (
        TpsFigures.objects.filter(**{own_col: area.code})
        .values(child_col)
        .annotate(tps_count=Count("tps_id"), **{k: Sum(k) for k in FIGURE_FIELDS})
        .order_by()
    )
    by_code = {r.pop(child_col): r for r in rows}
    zero = dict.fromkeys(FIGURE_FIELDS, 0) | {"tps_count": 0}
    return [(child, by_code.get(child.code, zero)) for child in area_children(area=area)]
