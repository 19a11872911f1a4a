import sys

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from kpu.http import AuthedRequest
from kpu.login import login_wait
from kpu.models import audit


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


class LoginView(auth_views.LoginView):
    """Django's login, slowed per username (kpu.login) before any password is checked."""

    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        wait = login_wait(str(request.POST.get("username", ""))[:150])
        if wait:
            # An unbound form: a bound one would authenticate when rendered, checking the very
            # password this answer is not supposed to check (and counting another failure).
            form = self.get_form_class()(
                request, initial={"username": request.POST.get("username")}
            )
            response = self.render_to_response(
                self.get_context_data(form=form, slowed=wait), status=429
            )
            response["Retry-After"] = str(wait)
            return response
        return super().post(request, *args, **kwargs)


class PasswordChangeView(auth_views.PasswordChangeView):
    """ "Ganti kata sandi": the user's own password, replacing a one-time one (SPEC 10).

    Django keeps the session that changed it (update_session_auth_hash) and ends every other.
    """

    template_name = "registration/password_change.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        user = form.user
        was_one_time = user.must_change_password
        if was_one_time:
            user.must_change_password = False
            user.save(update_fields=["must_change_password"])
        audit(
            user=user,
            action="password_change",
            area_code=user.area_id or "",
            target=user.username,
            one_time=was_one_time,
        )
        messages.success(self.request, _("Sandi Anda sudah diganti."))
        return response

    def get_success_url(self):
        target = self.request.POST.get("next") or self.request.GET.get("next") or ""
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=self.request.is_secure()
        ):
            return target
        return resolve_url("home")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["one_time"] = self.request.user.must_change_password
        context["next"] = self.request.GET.get("next", "")
        return context


password_change = never_cache(PasswordChangeView.as_view())


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """404: JSON under /api/ (a device never gets an HTML page, SPEC 6), the page elsewhere."""
    if _is_api(request):
        return JsonResponse({"detail": "Tidak ditemukan."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """500, or 503 with Retry-After when the database is unavailable (down, restarting, a lock
    or statement timeout): JSON under /api/, the error page elsewhere."""
    exc = sys.exc_info()[1]
    unavailable = isinstance(exc, OperationalError | InterfaceError)
    status = 503 if unavailable else 500
    if _is_api(request):
        detail = (
            "Server sedang sibuk atau basis data tidak tersedia; kirim ulang nanti."
            if unavailable
            else "Kesalahan di server; sudah dicatat. Coba lagi nanti."
        )
        response: HttpResponse = JsonResponse({"detail": detail}, status=status)
    else:
        response = defaults.server_error(request)
        response.status_code = status
    if unavailable:
        response["Retry-After"] = "30"
    return response
