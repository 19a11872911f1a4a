"""Reads for pages: keyword-only arguments, plain rows or querysets."""

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
