"""Template tags of the verification queue and the DPS draft chain.

The village panel and the home inbox are included in the area page (coklit/area.html), whose
view scopes `area` already; these tags only compute what the included partials show.
"""

import datetime as dt

from django import template

from coklit import selectors
from coklit.masking import mask_nik
from coklit.models import DpsDraft
from kpu.models import Area, Role
from kpu.scoping import can_act, in_scope

register = template.Library()

S = DpsDraft.Status


# NIK/NKK masked as KPU publishes them: the one rule, coklit.masking.
register.filter("mask_id", mask_nik)


def allowed_actions(user, village: Area, draft: DpsDraft) -> dict[str, bool]:
    """Which transitions this user could make on this draft now (the services decide again)."""
    return {
        "submit": can_act(user, Role.PPS, village) and draft.status in (S.DRAFT, S.RETURNED),
        "approve": can_act(user, Role.PPK, village) and draft.status == S.SUBMITTED,
        "return": can_act(user, Role.PPK, village) and draft.status == S.SUBMITTED,
        "establish": can_act(user, Role.KPU, village) and draft.status == S.APPROVED,
        "reopen": can_act(user, Role.KPU, village) and draft.status in (S.APPROVED, S.ESTABLISHED),
    }


def village_workflow_context(
    user,
    village: Area,
    *,
    timeline_limit: int | None = 20,
    draft: DpsDraft | None = None,
    live: dict | None = None,
) -> dict:
    """`draft` and `live` (the village's live sums): what the area page read already."""
    if draft is None:
        draft = selectors.dps_draft_of(village=village)
    figs = selectors.village_figures(village, draft=draft, live=live)
    target = figs["target_l"] + figs["target_p"]
    actions = allowed_actions(user, village, draft)
    return {
        "village": village,
        "draft": draft,
        "days": None
        if draft._state.adding
        else selectors.days_at_stage(draft.stage_since, village),
        "stage_since": None
        if draft._state.adding
        else selectors.timezone.localtime(draft.stage_since, selectors.area_tz(village)),
        "zone": selectors.area_zone(village),
        "frozen_at": _frozen_at(draft),
        "figures": figs,
        "target": target,
        "percent": selectors.percent(figs["done"], target),
        "complete": target > 0 and figs["done"] >= target,
        "queue_empty": not figs["pending"] and not figs["conflicts"],
        "actions": actions,
        "any_action": any(actions.values()),
        "changes": selectors.changed_since_approval(draft=draft)
        if draft.approved_snapshot and draft.status not in (S.APPROVED, S.ESTABLISHED)
        else None,
        "timeline": selectors.village_timeline(village=village, limit=timeline_limit),
        "can_see_queue": in_scope(user, village.code),
    }


def _frozen_at(draft: DpsDraft):
    """When the village's figures were frozen (an aware datetime), if they are."""
    at = (draft.frozen or {}).get("at")
    try:
        return dt.datetime.fromisoformat(at) if at else None
    except (TypeError, ValueError):
        return None


@register.simple_tag(takes_context=True)
def village_workflow(context, area: Area):
    """The DPS draft panel of a village page; None on other levels."""
    if area.level != Area.Level.VILLAGE:
        return None
    shared = _shared(context, area)
    return village_workflow_context(context["request"].user, area, **shared)


@register.simple_tag(takes_context=True)
def workflow_inbox(context, area: Area):
    """What waits for the user, shown on their own area's page only."""
    user = context["request"].user
    if not user.is_authenticated or area.code != user.area_id:
        return None
    shared = _shared(context, area)
    box = selectors.inbox(user=user, area=area, draft=shared["draft"], figures=shared["live"])
    return box if box["role"] in (Role.PPS, Role.PPK, Role.KPU) else None


def _shared(context, area: Area) -> dict:
    """The village's draft and live sums when the area page read them for this very village
    (coklit.views: `village_draft`, `village_live`); else None, and the tags read them."""
    own = context.get("area")
    if own is None or getattr(own, "code", None) != area.code:
        return {"draft": None, "live": None}
    return {"draft": context.get("village_draft"), "live": context.get("village_live")}


@register.filter
def dictget(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
