from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from coklit import selectors
from kpu.http import AuthedRequest
from kpu.scoping import area_for_user_or_404, in_scope


@login_required
def area(request: AuthedRequest, code: str) -> HttpResponse:
    area = area_for_user_or_404(request.user, code)
    context = {
        "area": area,
        "breadcrumbs": [
            (crumb, in_scope(request.user, crumb.code))
            for crumb in selectors.area_breadcrumbs(area=area)
        ],
        "children": selectors.area_children(area=area),
        "pemilihan": selectors.pemilihan_for(area=area),
    }
    return render(request, "coklit/area.html", context)
