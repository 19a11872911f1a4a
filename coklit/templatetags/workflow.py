"""Template tags of the verification queue and the plenos on the area pages.

The village panel and the home inbox are included in the area page (coklit/area.html), whose
view scopes `area` already; these tags only compute what the included partials show.
"""

from django import template
from django.utils import timezone

from coklit import plenos, selectors
from coklit.masking import mask_nik
from kpu.models import Area, Role
from kpu.scoping import in_scope

register = template.Library()


# NIK/NKK masked as KPU publishes them: the one rule, coklit.masking.
register.filter("mask_id", mask_nik)


def village_workflow_context(
    user, village: Area, *, timeline_limit: int | None = 20, pleno=None, live=None
) -> dict:
    """The pleno panel of a village page: its pleno, what holding it needs, the user's actions
    (made on the pleno page, behind a confirmation), a return's reason, the lock, the timeline.
    `pleno` and `live` (the village's live sums): what the area page read already."""
    panel = plenos.village_panel(user=user, village=village, figures=live)
    panel["timeline"] = selectors.village_timeline(village=village, limit=timeline_limit)
    panel["can_see_queue"] = in_scope(user, village.code)
    return panel


@register.simple_tag(takes_context=True)
def village_workflow(context, area: Area):
    """The pleno panel of a village page; None on other levels."""
    if area.level != Area.Level.VILLAGE:
        return None
    shared = _shared(context, area)
    return village_workflow_context(context["request"].user, area, **shared)


@register.simple_tag
def area_pleno(area: Area):
    """A district's or the regency's own pleno, for the line on its page; None elsewhere."""
    if area.level not in (Area.Level.DISTRICT, Area.Level.REGENCY):
        return None
    pleno = plenos.pleno_for(area=area)
    return {"pleno": pleno, "name": plenos.pleno_name(area.level, pleno.stage)}


@register.simple_tag(takes_context=True)
def workflow_inbox(context, area: Area):
    """What waits for the user, shown on their own area's page only (SPEC 8 inboxes): a PPS its
    queue and its pleno, a PPK its villages' plenos, the KPU its districts'."""
    user = context["request"].user
    if not user.is_authenticated or area.code != user.area_id:
        return None
    if user.role == Role.PPS:
        shared = _shared(context, area)
        live = shared["live"] if shared["live"] is not None else selectors.area_figures(area=area)
        pleno = shared["pleno"] or plenos.pleno_for(area=area)
        returned = pleno.state == plenos.DIKEMBALIKAN
        return {
            "role": user.role,
            "pleno": pleno,
            # A returned pleno: why, by whom and when, at the top of the PPS's page (SPEC 8).
            "returned_by": pleno.returned_by.display_name
            if returned and pleno.returned_by_id
            else "",
            "returned_at": timezone.localtime(pleno.state_since, selectors.area_tz(area))
            if returned
            else None,
            "zone": selectors.area_zone(area),
            "days": selectors.days_at_stage(pleno.state_since, area) if pleno.pk else None,
            "pending": live["pending"],
            "conflicts": live["conflicts"],
        }
    if user.role not in (Role.PPK, Role.KPU):
        return None
    rows = plenos.inbox_rows(area=area)
    own = plenos.pleno_for(area=area)
    held = sum(1 for r in rows if r.state == plenos.SUDAH)
    return {
        "role": user.role,
        "rows": rows,
        "held": held,
        "total": len(rows),
        "pleno": own,
        "name": plenos.pleno_name(area.level, own.stage),
    }


def _shared(context, area: Area) -> dict:
    """The village's pleno and live sums when the area page read them for this very village
    (coklit.views: `village_pleno`, `village_live`); else None, and the tags read them."""
    own = context.get("area")
    if own is None or getattr(own, "code", None) != area.code:
        return {"pleno": None, "live": None}
    return {"pleno": context.get("village_pleno"), "live": context.get("village_live")}


@register.filter
def dictget(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
