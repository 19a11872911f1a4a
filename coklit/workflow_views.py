"""Views of the verification queue and NIK reveals (SPEC 8, 10); the plenos: pleno_views.

Thin: scope (404 outside), call a service, answer htmx with a partial and plain requests with a
redirect. A refusal because of the user's role (inside their scope) is a 403 that says who may
act; any other refusal is shown next to the thing that failed.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
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
from kpu.scoping import area_for_user_or_404, can_act, in_scope, may_reveal_nik
from kpu.services import DomainError


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
        "can_reveal": may_reveal_nik(request.user, village.code),
        "counts": selectors.queue_counts(village=village),
        "zone": selectors.area_zone(village),
        "now": timezone.now(),
    }


def _render_in_zone(request: AuthedRequest, area: Area, template: str, context: dict):
    """Times on the page are in the election's zone (WIB, WITA or WIT), and say so."""
    with timezone.override(selectors.area_tz(area)):
        return render(request, template, context)


def _queue_url(village_code: str, *, tps: str = "", kind: str = "", after: str = "") -> str:
    query = urlencode({k: v for k, v in (("tps", tps), ("hasil", kind), ("sesudah", after)) if v})
    return reverse("coklit-queue", args=[village_code]) + (f"?{query}" if query else "")


@login_required
@require_GET
@vary_on_headers("HX-Request")
def queue(request: AuthedRequest, code: str) -> HttpResponse:
    """The PPS's queue of a village: a page of results, oldest first, filtered by outcome and
    TPS (`?hasil=tms|baru|ubah|konflik&tps=<code>&sesudah=<cursor>`). PPK and KPU see it
    without the buttons. htmx asks for the list alone when a filter changes."""
    village = area_for_user_or_404(request.user, code, levels=(Area.Level.VILLAGE,))
    context = _queue_context(request, village)
    page = selectors.queue_page(
        village=village,
        kind=request.GET.get("hasil", ""),
        tps_code=request.GET.get("tps", ""),
        after=request.GET.get("sesudah", ""),
    )
    context |= {
        "page": page,
        # What "approve all" may take: the listed results that wait and are no conflict.
        "bulk_ids": [
            str(row.event.pk) for row in page.rows if row.pending and not row.voter.conflict
        ],
        "next_url": _queue_url(
            village.code, tps=page.tps_code, kind=page.kind, after=page.next_after or ""
        )
        if page.next_after
        else "",
        "first_url": _queue_url(village.code, tps=page.tps_code, kind=page.kind),
        "kind_urls": {
            k: _queue_url(village.code, tps=page.tps_code, kind=k)
            for k in ("", *selectors.QUEUE_KINDS)
        },
    }
    template = "coklit/verification_queue.html"
    if request.htmx and request.htmx.target == "queue":
        template += "#queue"
    return _render_in_zone(request, village, template, context)


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
    return redirect(_queue_url(village.code, tps=event.tps_id))


@login_required
@require_POST
def queue_approve_all(request: AuthedRequest, code: str) -> HttpResponse:
    """Approve the waiting results of one TPS listed on the page (conflicts excepted).

    Asks first: without `confirm=1` it answers a confirmation that says what the approval
    includes (how many results, per outcome: TMS per reason, Baru, Ubah) and changes nothing.
    """
    tps = area_for_user_or_404(request.user, code, levels=(Area.Level.TPS,))
    village = Area.objects.get(code=tps.parent_id)
    back = _queue_url(village.code, tps=tps.code, kind=request.POST.get("hasil", ""))
    if not can_act(request.user, Role.PPS, village):
        return _refused(
            request,
            _("Hanya PPS %(village)s yang dapat memverifikasi hasil coklit di sini.")
            % {"village": village.title},
        )
    event_ids = request.POST.getlist("event")
    if not event_ids:
        # Only what the PPS saw listed is approved at once: never a whole TPS unseen.
        messages.error(request, _("Tidak ada hasil yang dipilih untuk disetujui."))
        return redirect(back)
    if request.POST.get("confirm") != "1":
        summary = selectors.queue_bulk_summary(tps=tps, event_ids=event_ids)
        if not summary.count:
            messages.error(
                request,
                _("Tidak ada hasil di %(tps)s yang menunggu verifikasi.") % {"tps": tps.title},
            )
            return redirect(back)
        context = {
            "tps": tps,
            "village": village,
            "summary": summary,
            "back": back,
            "kind": request.POST.get("hasil", ""),
        }
        return _render_in_zone(request, village, "coklit/queue_confirm.html", context)
    try:
        n = services.tps_queue_approve_all(tps=tps, by=request.user, event_ids=event_ids)
    except Refused as e:
        return _refused(request, str(e))
    except DomainError as e:
        messages.error(request, str(e))
    else:
        messages.success(
            request, _("%(n)s hasil di %(tps)s disetujui.") % {"n": n, "tps": tps.title}
        )
    return redirect(back)


# --- NIK reveal -----------------------------------------------------------------------------------


@login_required
@require_POST
@vary_on_headers("HX-Request")
def nik_reveal(request: AuthedRequest, voter_id: int) -> HttpResponse:
    """`POST /pemilih/<voter id>/nik/` with a `reason`: one voter's full NIK, logged.

    Pantarlih and anyone outside the voter's village get 404 (they may not know it exists);
    the supervisor, who reads the village's masked list, gets 403 (SPEC 2: NIK masked).
    """
    voter = get_object_or_404(Voter.objects.select_related("village"), pk=voter_id)
    if not may_reveal_nik(request.user, voter.village_id):
        if request.user.role == Role.BAWASLU and in_scope(request.user, voter.village_id):
            raise PermissionDenied("Bawaslu/Panwaslu membaca NIK tersamar.")
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
