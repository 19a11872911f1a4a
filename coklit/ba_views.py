"""The berita acara of a pleno (SPEC 8): `/pleno/<code>/berita-acara/[?tahap=dphp|dpshp]`.

Scope first (404 outside, for every role), then the held pleno (404 while none is), then the
document from its snapshot. A BA names people and carries the figures a committee signed:
never cached.
"""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from coklit import berita_acara, plenos, snapshots
from coklit.models import Pleno
from kpu.http import AuthedRequest
from kpu.scoping import area_for_user_or_404


@require_GET
@login_required
def berita_acara_page(request: AuthedRequest, code: str) -> HttpResponse:
    area = area_for_user_or_404(request.user, code, levels=plenos.PLENO_LEVELS)
    pleno = berita_acara.held_pleno(area=area, stage=request.GET.get("tahap") or None)
    ba = berita_acara.build(pleno)
    stages = [
        (stage, label)
        for stage, label in Pleno.Stage.choices
        if Pleno.objects.filter(area=area, stage=stage, state=Pleno.State.SUDAH).exists()
    ]
    context = {
        "ba": ba,
        "stages": stages if len(stages) > 1 else [],
        "changes": snapshots.pleno_changes(pleno),
    }
    response = render(request, "coklit/berita_acara.html", context)
    patch_cache_control(response, private=True, no_store=True)
    return response
