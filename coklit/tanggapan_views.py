"""Views of public responses and saran perbaikan (SPEC 8b).

Thin: scope (404 outside), call coklit/tanggapan.py, answer htmx with a partial and plain
requests with a redirect. Refusals as SPEC 8 gives them: 400 for a missing or bad field, 403
for a role in scope that may not act, 409 for a changed state or an unmet rule, 404 outside.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from coklit import selectors
from coklit import tanggapan as svc
from coklit.models import TMS_REASONS, Tanggapan, Voter
from coklit.voter_fields import CHANGEABLE
from kpu.http import AuthedRequest
from kpu.models import Area, Role
from kpu.scoping import area_for_user_or_404, can_act, in_scope
from kpu.services import DomainError

FORM_FIELDS = (
    "kind",
    "voter",
    "tms_reason",
    "target_tps",
    "tps",
    "reporter",
    "reporter_contact",
    "note",
    "evidence",
    *CHANGEABLE,
)


def _status_of(error: Exception) -> int:
    if isinstance(error, svc.Invalid):
        return 400
    if isinstance(error, svc.services.Refused):
        return 403
    return 409


def _context(request: AuthedRequest, village: Area, **extra) -> dict:
    user = request.user
    kind = request.GET.get("jenis", "")
    state = request.GET.get("status", "")
    source = svc.record_source(user)
    return {
        "village": village,
        "items": svc.tanggapan_in_village(village=village, kind=kind, state=state),
        "kind": kind,
        "state": state,
        "kinds": Tanggapan.Kind.choices,
        "states": Tanggapan.State.choices,
        "counts": svc.counts_rows(svc.counts(area=village)),
        "source": source,
        "source_label": Tanggapan.Source(source).label if source else "",
        "record_kinds": svc.kinds_for(user),
        "can_record": source is not None
        and (
            source == Tanggapan.Source.SARAN or svc.village_stage(village) == Tanggapan.Stage.DPSHP
        ),
        "can_answer": can_act(user, Role.PPS, village),
        "stage": svc.village_stage(village),
        "period": svc.period_for(village),
        "tms_reasons": list(TMS_REASONS.items()),
        "tps_numbers": list(
            Area.objects.filter(parent=village, level=Area.Level.TPS)
            .order_by("code")
            .values_list("code", flat=True)
        ),
        "inbox": svc.pending_inbox(village=village) if can_act(user, Role.PPS, village) else [],
        "zone": selectors.area_zone(village),
        "form": {},
        **extra,
    }


def _render(request: AuthedRequest, village: Area, template: str, context: dict, status=200):
    with timezone.override(selectors.area_tz(village)):
        return render(request, template, context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request", "HX-Target")
def village_tanggapan(request: AuthedRequest, code: str) -> HttpResponse:
    """`/wilayah/{village}/tanggapan/`: the list (filters by kind and state), the record form
    and the answer buttons; `POST` records one (SPEC 8b). htmx asks the list (`#tanggapan`)
    or the voter search (`#voter-choices`) alone."""
    village = area_for_user_or_404(request.user, code, levels=(Area.Level.VILLAGE,))
    if request.method == "POST":
        return _record(request, village)
    target = request.htmx.target if request.htmx else None
    if target == "voter-choices":
        return _render(
            request,
            village,
            "coklit/tanggapan.html#voter_choices",
            {"village": village, "choices": _voter_search(village, request.GET.get("cari", ""))},
        )
    context = _context(request, village)
    template = "coklit/tanggapan.html#list" if target == "tanggapan" else "coklit/tanggapan.html"
    return _render(request, village, template, context)


def _voter_search(village: Area, q: str) -> list[Voter]:
    """Voters of the village by name, NIK (16 digits) or id: what a form picks from."""
    q = q.strip()[:100]
    if len(q) < 2:
        return []
    qs = Voter.objects.filter(village=village, origin=Voter.Origin.LIST)
    if q.isdigit() and len(q) == 16:
        qs = qs.filter(Q(nik=q) | Q(nkk=q))
    elif q.isdigit():
        qs = qs.filter(pk=int(q)) if int(q) < 2**63 else qs.none()
    else:
        qs = qs.filter(nama__icontains=q)
    return list(qs.select_related("tps").order_by("nama", "pk")[:20])


def _record(request: AuthedRequest, village: Area) -> HttpResponse:
    post = request.POST
    try:
        svc.tanggapan_record(
            village=village,
            by=request.user,
            kind=post.get("kind", ""),
            voter_id=post.get("voter"),
            tms_reason=post.get("tms_reason"),
            target_tps=post.get("target_tps"),
            tps=post.get("tps"),
            fields={name: post.get(name, "") for name in CHANGEABLE},
            reporter=post.get("reporter", ""),
            reporter_contact=post.get("reporter_contact", ""),
            note=post.get("note", ""),
            evidence=post.get("evidence", ""),
        )
    except DomainError as e:
        status = _status_of(e)
        context = _context(
            request, village, form={k: post.get(k, "") for k in FORM_FIELDS}, form_error=str(e)
        )
        template = "coklit/tanggapan.html#record" if request.htmx else "coklit/tanggapan.html"
        return _render(request, village, template, context, status=status)
    done = (
        _("Saran perbaikan dicatat dan diteruskan ke PPS.")
        if svc.record_source(request.user) == Tanggapan.Source.SARAN
        else _("Tanggapan dicatat dan diteruskan ke PPS.")
    )
    if request.htmx:
        context = _context(request, village, form_success=done)
        return _render(request, village, "coklit/tanggapan.html#record_response", context)
    messages.success(request, done)
    return redirect("coklit-tanggapan", code=village.code)


@login_required
@require_POST
@vary_on_headers("HX-Request")
def tanggapan_answer(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    """`POST /tanggapan/{id}/accept/` or `/reject/` (`note` required to reject), by the PPS."""
    item = get_object_or_404(Tanggapan.objects.select_related("village"), pk=pk)
    if not in_scope(request.user, item.village_id):
        raise Http404("Tanggapan tidak ditemukan.")
    village = item.village
    error, status = "", 200
    try:
        if action == "accept":
            item = svc.tanggapan_accept(
                tanggapan=item, by=request.user, note=request.POST.get("note", "")
            )
        else:
            item = svc.tanggapan_reject(
                tanggapan=item, by=request.user, note=request.POST.get("note", "")
            )
    except DomainError as e:
        error, status = str(e), _status_of(e)
        item.refresh_from_db()
    if request.htmx:
        context = _context(request, village, row=item, row_error=error)
        return _render(
            request, village, "coklit/tanggapan.html#row_response", context, status=status
        )
    if error:
        # The refusal where the user acted, with its status (SPEC 8): the page, not a redirect.
        context = _context(request, village, page_error=error)
        return _render(request, village, "coklit/tanggapan.html", context, status=status)
    if action == "accept":
        messages.success(request, _("Tanggapan #%(pk)s diterima.") % {"pk": item.pk})
    else:
        messages.success(request, _("Tanggapan #%(pk)s ditolak.") % {"pk": item.pk})
    return redirect(reverse("coklit-tanggapan", args=[village.code]) + f"#t-{item.pk}")
