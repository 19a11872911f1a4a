from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from kpu.http import AuthedRequest


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    """Send a user to their own area's page."""
    if request.user.area_id:
        return redirect("coklit-area", code=request.user.area_id)
    if request.user.is_superuser:
        return redirect("admin:index")
    return render(request, "kpu/no_area.html", status=403)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers (for the load balancer)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse({"status": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})
