"""The pleno page and its actions (SPEC 8): `/pleno/<code>/` and
`POST /pleno/<code>/hold|return|reopen/`.

Thin: scope (404 outside), call the service, answer. A refusal is the pleno page again with the
reason where the user acted and SPEC 8's status: 403 for a role in scope that may not act, 400
for a missing or bad field, 409 for an unmet precondition or a state that changed meanwhile.
The forms are plain POSTs behind a confirmation dialog: the page works without JavaScript, and
the status of a refusal is the one the browser gets.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from coklit import plenos, selectors, snapshots
from kpu.http import AuthedRequest
from kpu.models import Area
from kpu.scoping import area_for_user_or_404
from kpu.services import DomainError, Refused


def _page(request: AuthedRequest, area: Area, *, status: int = 200, **extra) -> HttpResponse:
    # `?tahap=dphp|dpshp` shows another stage's pleno (SPEC 8b); the current one by default.
    tahap = request.GET.get("tahap")
    stage = tahap if tahap in plenos.Stage.values else None
    context = plenos.page_context(area=area, user=request.user, stage=stage) | extra
    context["breadcrumbs"] = selectors.area_breadcrumbs(area=area)
    # "Changed since last held" (issue 12): held again, or returned since its last hold.
    pleno = context["pleno"]
    context["changes"] = snapshots.pleno_changes(pleno) if pleno.pk else None
    with timezone.override(selectors.area_tz(area)):
        return render(request, "coklit/pleno.html", context, status=status)


@login_required
@require_GET
def pleno(request: AuthedRequest, code: str) -> HttpResponse:
    """The area's pleno: state, days at it, what it needs, children, actions, history."""
    area = area_for_user_or_404(request.user, code, levels=plenos.PLENO_LEVELS)
    return _page(request, area)


@login_required
@require_POST
def pleno_action(request: AuthedRequest, code: str, action: str) -> HttpResponse:
    """`POST /pleno/<code>/hold|return|reopen/` with SPEC 8's fields."""
    area = area_for_user_or_404(request.user, code, levels=plenos.PLENO_LEVELS)
    data = request.POST
    fields = {"expected": data.get("expected") or None}
    if action == "hold":
        fields |= {
            k: data.get(k, "")
            for k in ("ba_number", "held_at", "place", "attendees", "note", "sk_number")
        }
    else:
        fields["note"] = data.get("note", "")
    try:
        done = plenos.SERVICES[action](area=area, by=request.user, **fields)
    except Refused as e:
        status = 403
        error = str(e)
    except plenos.BadField as e:
        status = 400
        error = str(e)
    except DomainError as e:
        status = 409
        error = str(e)
    else:
        messages.success(
            request,
            plenos.done_message(action, area, done),
        )
        # The stage just acted on: after the KPU's DPS pleno the current stage is the next one.
        return redirect(reverse("coklit-pleno", args=[area.code]) + f"?tahap={done.stage}")
    return _page(request, area, status=status, error=error, error_action=action, posted=data)
