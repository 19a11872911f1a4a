"""The responses' card of an area page (SPEC 8b): the period and days left, the counts per kind
and state, the PPS's inbox (oldest first) and the supervisor's own saran with their answers.

Included in coklit/area.html, whose view scopes `area` already; the counts are of the area.
"""

from django import template

from coklit import tanggapan as svc
from kpu.models import Area, Role
from kpu.scoping import can_act

register = template.Library()


@register.simple_tag(takes_context=True)
def area_tanggapan(context, area: Area):
    if area.level not in (Area.Level.REGENCY, Area.Level.DISTRICT, Area.Level.VILLAGE):
        return None
    user = context["request"].user
    table = svc.counts(area=area)
    own = area.code == user.area_id
    second = None
    if svc.village_stage(area) == "dpshp":
        rows, total = svc.second_stage_recap(area=area)
        second = {
            "rows": rows,
            "total": total,
            "list_name": svc.recap_list(area).upper(),
        }
    return {
        "second": second,
        "counts": svc.counts_rows(table),
        "total": table["total"]["total"],
        "pending": table["total"]["pending"],
        "period": svc.period_for(area),
        "is_village": area.level == Area.Level.VILLAGE,
        "inbox": svc.pending_inbox(village=area, limit=5)
        if area.level == Area.Level.VILLAGE and can_act(user, Role.PPS, area)
        else [],
        "mine": svc.supervisor_items(user=user, limit=5)
        if own and user.role == Role.BAWASLU
        else [],
        "is_supervisor": user.role == Role.BAWASLU,
        "villages": svc.counts_by_village(area=area)
        if area.level != Area.Level.VILLAGE and table["total"]["total"]
        else [],
    }
