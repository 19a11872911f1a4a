"""Coklit results from paper (SPEC 6b): the Model A worksheet, its upload, and the entry page.

Thin: scope first (404 outside the user's area), then the role (the PPS of the village enters
results; anyone else in scope is told so with a 403), then `coklit.paper`, then a page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from coklit import exports, paper, selectors, services, xlsx
from coklit.models import Voter
from coklit.views_export import _download
from kpu.http import AuthedRequest
from kpu.models import Area, Role
from kpu.scoping import area_for_user_or_404
from kpu.services import DomainError

TPS = (Area.Level.TPS,)
PER_PAGE = 100


def _refused(request: AuthedRequest, message: str, status: int = 403) -> HttpResponse:
    return render(request, "coklit/refused.html", {"message": message}, status=status)


def _pps_only(request: AuthedRequest, tps: Area) -> HttpResponse | None:
    """Only the PPS of the village enters results from paper (SPEC 2, 6b)."""
    if request.user.role != Role.PPS:
        return _refused(
            request,
            _("Hanya PPS %(village)s yang memasukkan hasil coklit dari kertas.")
            % {"village": tps.parent.title},
        )
    return None


@require_GET
@login_required
def model_a_xlsx(request: AuthedRequest, code: str) -> HttpResponse:
    """`GET /wilayah/{tps}/model-a.xlsx`: the worksheet, NIK/NKK masked; with
    `?nik=penuh&alasan=...` the PPS gets them whole, logged like a NIK reveal."""
    tps = area_for_user_or_404(request.user, code, levels=TPS)
    full = request.GET.get("nik") == "penuh"
    if full:
        if request.user.role != Role.PPS:
            return _refused(
                request, _("Hanya PPS yang dapat mengunduh lembar kerja dengan NIK lengkap.")
            )
        try:
            services.tps_nik_reveal(tps=tps, by=request.user, reason=request.GET.get("alasan", ""))
        except DomainError as e:
            return _refused(request, str(e), status=400)
    sheet = paper.worksheet_for(tps=tps, full_nik=full)
    name = exports.filename("model-a" + ("-nik-lengkap" if full else ""), tps, timezone.localdate())
    return _download(xlsx.model_a_workbook(sheet), name)


def _sources(tps: Area) -> list[tuple[str, int]]:
    """How many results of the TPS came from each source (the reconciliation's split)."""
    return selectors.results_by_source(tps=tps)


def _upload_context(request: AuthedRequest, tps: Area) -> dict:
    return {
        "tps": tps,
        "lock": paper.lock_reason(tps),
        "sources": _sources(tps),
        "counts": paper.entry_counts(tps=tps),
        "is_pps": request.user.role == Role.PPS,
        "help": paper.instructions()[2:],
    }


@require_http_methods(["GET", "POST"])
@login_required
def model_a_upload(request: AuthedRequest, code: str) -> HttpResponse:
    """`POST /wilayah/{tps}/model-a/` (field `file`): the filled worksheet, all or nothing.

    GET shows the page: the download, the upload form, what came from where."""
    tps = area_for_user_or_404(request.user, code, levels=TPS)
    if refused := _pps_only(request, tps):
        return refused
    context = _upload_context(request, tps)
    status = 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["error"] = _("Pilih berkas lembar kerja Model A (.xlsx) yang sudah diisi.")
            status = 400
        else:
            try:
                paper.check_upload(upload, name=upload.name)
                outcome = paper.model_a_upload(tps=tps, user=request.user, file=upload)
            except paper.PaperError as e:
                context["error"] = str(e)
                status = 409 if context["lock"] or paper.lock_reason(tps) else 400
            except DomainError as e:  # the upload inspector's refusals
                context["error"] = str(e)
                status = 400
            else:
                context["outcome"] = outcome
                if outcome.errors:
                    status = 400
                context |= {"sources": _sources(tps), "counts": paper.entry_counts(tps=tps)}
    return render(request, "coklit/model_a.html", context, status=status)


# --- the entry page -------------------------------------------------------------------------------


def _rows(tps: Area, page_number) -> tuple:
    """A page of the TPS's listed voters, in the worksheet's order, each with its mark."""
    qs = (
        Voter.objects.filter(tps=tps, origin=Voter.Origin.LIST)
        .select_related("outcome_event")
        .order_by("pk")
    )
    page = Paginator(qs, PER_PAGE).get_page(page_number)
    start = page.start_index()
    return page, [_row(v, start + i) for i, v in enumerate(page.object_list)]


def _row(v: Voter, no: int, **extra) -> dict:
    h = paper.held(v)
    row = {"v": v, "no": no, "mark": h.mark.text if h.mark else "", "held": h, **extra}
    if extra.get("fix") is not None:
        # The correction form: every element as the worksheet prints it (NIK/NKK masked: 16
        # digits typed over the mask are a correction).
        row["fix_fields"] = [
            (f, (paper.LABELS[f], paper.cell_value(f, h.shown[f], full_nik=False)))
            for f in paper.FIELDS
        ]
    return row


def _entry_context(request: AuthedRequest, tps: Area) -> dict:
    return {
        "tps": tps,
        "lock": paper.lock_reason(tps),
        "counts": paper.entry_counts(tps=tps),
        "fields": [(f, paper.LABELS[f]) for f in paper.NEW_FIELDS],
    }


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def entry(request: AuthedRequest, code: str) -> HttpResponse:
    """`/wilayah/{tps}/entri/`: a row per voter; the mark typed and Enter saves it (htmx).

    POST `pemilih` and `tanda` (and, for U, the corrected fields `f_<field>`); or `baru=1` and
    a new voter's fields. htmx gets the row (and the live count, out of band); a plain form
    post is redirected back to the page with a message.
    """
    tps = area_for_user_or_404(request.user, code, levels=TPS)
    if refused := _pps_only(request, tps):
        return refused
    context = _entry_context(request, tps)
    if request.method == "GET":
        page, rows = _rows(tps, request.GET.get("hal"))
        context |= {"page": page, "rows": rows}
        return render(request, "coklit/entri.html", context)

    if request.POST.get("baru"):
        return _entry_new(request, tps, context)
    raw_id = request.POST.get("pemilih", "")
    voter_id = int(raw_id) if raw_id.isdigit() and raw_id.isascii() and len(raw_id) < 19 else 0
    text = request.POST.get("tanda", "")
    fields = None
    if request.POST.get("koreksi"):
        fields = {
            f: request.POST.get(f"f_{f}", "") for f in paper.FIELDS if f"f_{f}" in request.POST
        }
    error, fix = "", None
    try:
        saved = paper.entry_save(
            tps=tps, user=request.user, voter_id=voter_id, text=text, fields=fields
        )
    except paper.NeedsCorrection as e:
        fix = e.held
    except paper.PaperError as e:
        error = str(e)
    voter = (
        Voter.objects.filter(tps=tps, origin=Voter.Origin.LIST, pk=voter_id)
        .select_related("outcome_event")
        .first()
    )
    if not request.htmx:
        if error:
            messages.error(request, error)
        elif fix is None:
            messages.success(request, _("Tersimpan."))
        return redirect(reverse("coklit-entry", args=[tps.code]) + f"#p{voter_id}")
    if voter is None:
        return _refused(request, error or _("Pemilih tidak ditemukan."), status=404)
    context["counts"] = paper.entry_counts(tps=tps)
    no = request.POST.get("no", "")
    context["row"] = _row(
        voter,
        int(no) if no.isdigit() and len(no) < 7 else 0,
        error=error,
        typed=text if error else "",
        fix=fix,
        saved=not error and fix is None and saved.total > 0,
        unchanged=not error and fix is None and saved.unchanged > 0,
    )
    context["oob"] = True
    # A refused row answers 200 for htmx to swap the message in (htmx drops 4xx bodies).
    return render(request, "coklit/entri.html#row_response", context)


def _entry_new(request: AuthedRequest, tps: Area, context: dict) -> HttpResponse:
    data = {f: request.POST.get(f"n_{f}", "") for f in paper.NEW_FIELDS}
    try:
        paper.entry_new_voter(tps=tps, user=request.user, data=data)
    except paper.PaperError as e:
        context |= {"new_error": str(e), "new_data": data}
    else:
        context["new_saved"] = data["nama"]
    context["counts"] = paper.entry_counts(tps=tps)
    if not request.htmx:
        if "new_error" in context:
            messages.error(request, context["new_error"])
        else:
            messages.success(request, _("Pemilih baru tersimpan."))
        return redirect(reverse("coklit-entry", args=[tps.code]) + "#baru")
    context["oob"] = True
    return render(request, "coklit/entri.html#new_response", context)
