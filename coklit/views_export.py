"""Recaps and DPS lists to download or print (SPEC 9). Scope first, then rows, then a file.

Exports carry voters' data (masked) and figures as of now: never cached by a proxy or the
browser, and each DPS download is written to the audit log.
"""

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from coklit import exports, xlsx
from kpu.http import AuthedRequest
from kpu.models import audit
from kpu.scoping import area_for_user_or_404

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(file, name: str) -> FileResponse:
    response = FileResponse(file, as_attachment=True, filename=name, content_type=XLSX)
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_GET
@login_required
def rekap_xlsx(request: AuthedRequest, code: str) -> FileResponse:
    area = area_for_user_or_404(request.user, code, levels=exports.REKAP_LEVELS)
    rekap = exports.rekap_for(area=area, paper=request.GET.get("kertas"))
    return _download(xlsx.rekap_workbook(rekap), exports.filename("rekap-coklit", area, rekap.day))


@require_GET
@login_required
def dps_xlsx(request: AuthedRequest, code: str) -> FileResponse:
    area = area_for_user_or_404(request.user, code, levels=exports.DPS_LEVELS)
    try:
        dps = exports.dps_list_for(area=area, tahap=request.GET.get("tahap"))
    except exports.StageNotReached as exc:
        raise Http404(
            _("Daftar tahap %(tahap)s tidak tersedia untuk wilayah ini.") % {"tahap": exc}
        ) from exc
    # One transaction around the server-side cursor: without it PostgreSQL's cursor is declared
    # WITH HOLD, which a PgBouncer in transaction pooling mode cannot keep (docs/SCALING.md).
    with transaction.atomic():
        file = xlsx.dps_workbook(dps)
    audit(user=request.user, action="dps_export", area_code=area.code, target=area.code)
    return _download(file, exports.filename("dps", area, dps.day))


@require_GET
@login_required
def rekap_cetak(request: AuthedRequest, code: str) -> HttpResponse:
    area = area_for_user_or_404(request.user, code, levels=exports.REKAP_LEVELS)
    rekap = exports.rekap_for(area=area, paper=request.GET.get("kertas"))
    response = render(request, "coklit/cetak.html", {"area": area, "rekap": rekap})
    patch_cache_control(response, private=True, no_store=True)
    return response


@require_GET
@login_required
def progres_xlsx(request: AuthedRequest, code: str) -> FileResponse:
    area = area_for_user_or_404(request.user, code, levels=exports.PROGRES_LEVELS)
    rekap = exports.progres_for(area=area, paper=request.GET.get("kertas"))
    return _download(xlsx.rekap_workbook(rekap), exports.filename("progres", area, rekap.day))


@require_GET
@login_required
def perubahan_xlsx(request: AuthedRequest, code: str) -> FileResponse:
    area = area_for_user_or_404(request.user, code, levels=exports.PERUBAHAN_LEVELS)
    changes = exports.change_list_for(area=area)
    with transaction.atomic():  # the second stage's rows come from a server-side cursor
        file = xlsx.perubahan_workbook(changes)
    audit(user=request.user, action="perubahan_export", area_code=area.code, target=area.code)
    return _download(file, exports.filename("perubahan", area, changes.day))
