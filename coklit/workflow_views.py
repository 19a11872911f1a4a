"""Views of the verification queue and NIK reveals (SPEC 8, 10); the plenos: pleno_views.

Thin: scope (404 outside), call a service, answer htmx with a partial and plain requests with a
redirect. A refusal because of the user's role (inside their scope) is a 403 that says who may
act; any other refusal is shown next to the thing that failed.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from coklit import plenos, selectors, services
from coklit.models import CoklitEvent, Voter
from coklit.services import Refused
from kpu.http import AuthedRequest
from kpu.models import Area, Role
from kpu.scoping import area_for_user_or_404, can_act, in_scope
from kpu.services import DomainError

V = Area.Level


def _refused(request: AuthedRequest, message: str) -> HttpResponse:
    return render(request, "coklit/refused.html", {"message": message}, status=403)


# --- the verification queue -----------------------------------------------------------------------


def _queue_context(request: AuthedRequest, village: Area) -> dict:
    lock_message = services.lock_messages([village.code]).get(village.code, "")
    return {
        "village": village,
        "pleno": plenos.pleno_for(area=village),
        "lock_message": lock_message,
        "can_verify": can_act(request.user, Role.PPS, village) and not lock_message,
        "counts": selectors.queue_counts(village=village),
        "zone": selectors.area_zone(village),
    }


def _render_in_zone(request: AuthedRequest, area: Area, template: str, context: dict):
    """Times on the page are in the election's zone (WIB, WITA or WIT), and say so."""
    with timezone.override(selectors.area_tz(area)):
        return render(request, template, context)


@login_required
@require_GET
def queue(request: AuthedRequest, code: str) -> HttpResponse:
    """The PPS's queue of a village, grouped by TPS. PPK and KPU see it without the buttons."""
    village = area_for_user_or_404(request.user, code, levels=(V.VILLAGE,))
    context = _queue_context(request, village)
    context["queue"] = selectors.verification_queue(village=village)
    return _render_in_zone(request, village, "coklit/verification_queue.html", context)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def event_verify(request: AuthedRequest, event_id) -> HttpResponse:
    """`POST /verifikasi/<event id>/` with `decision=approve|reject` and `note` (SPEC 8)."""
    event = get_object_or_404(CoklitEvent.objects.select_related("tps"), pk=event_id)
    if not in_scope(request.user, event.tps_id):
        raise Http404("Hasil coklit tidak ditemukan.")
    village = Area.objects.get(code=event.tps.parent_id)
    error = ""
    try:
        services.event_verify(
            event=event,
            by=request.user,
            decision=request.POST.get("decision", ""),
            note=request.POST.get("note", ""),
        )
    except Refused as e:
        return _refused(request, str(e))
    except DomainError as e:
        error = str(e)
    if request.htmx:
        context = _queue_context(request, village)
        context.update(row=selectors.queue_row(event=event), row_error=error, oob=True)
        return _render_in_zone(
            request, village, "coklit/verification_queue.html#row_response", context
        )
    if error:
        messages.error(request, error)
    else:
        decision = request.POST.get("decision")
        messages.success(
            request, _("Hasil disetujui.") if decision == "approve" else _("Hasil ditolak.")
        )
    return redirect(reverse("coklit-queue", args=[village.code]) + f"#tps-{event.tps_id}")


@login_required
@require_POST
def queue_approve_all(request: AuthedRequest, code: str) -> HttpResponse:
    """Approve every waiting result of one TPS (conflicts excepted), as listed on the page."""
    tps = area_for_user_or_404(request.user, code, levels=(V.TPS,))
    try:
        n = services.tps_queue_approve_all(
            tps=tps, by=request.user, event_ids=request.POST.getlist("event") or None
        )
    except Refused as e:
        return _refused(request, str(e))
    except DomainError as e:
        messages.error(request, str(e))
    else:
        messages.success(
            request, _("%(n)s hasil di %(tps)s disetujui.") % {"n": n, "tps": tps.title}
        )
    return redirect(reverse("coklit-queue", args=[tps.parent_id]) + f"#tps-{tps.code}")


# --- NIK reveal -----------------------------------------------------------------------------------


@login_required
@require_POST
@vary_on_headers("HX-Request")
def nik_reveal(request: AuthedRequest, voter_id: int) -> HttpResponse:
    """`POST /pemilih/<voter id>/nik/` with a `reason`: one voter's full NIK, logged.

    Pantarlih and anyone outside the voter's village get 404 (they may not know it exists).
    """
    voter = get_object_or_404(Voter.objects.select_related("village"), pk=voter_id)
    if request.user.role not in (Role.PPS, Role.PPK, Role.KPU) or not in_scope(
        request.user, voter.village_id
    ):
        raise Http404("Pemilih tidak ditemukan.")
    context = {"voter": voter, "reason": request.POST.get("reason", "")}
    try:
        context["nik"] = services.voter_nik_reveal(
            voter=voter, by=request.user, reason=context["reason"]
        )
    except DomainError as e:
        context["error"] = str(e)
    template = "coklit/nik_reveal.html#nik" if request.htmx else "coklit/nik_reveal.html"
    return render(request, template, context)
