from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from kpu.models import tzinfo_of, zone_of
from kpu.text import unstorable


class IndonesianByDefaultMiddleware:
    """Indonesian unless the user picked another language (SPEC 7).

    Django's LocaleMiddleware would follow the browser's Accept-Language, so an office PC set
    up in English would show English to an officer who never asked for it. Dropping the header
    leaves the language cookie (set by the language switch) and LANGUAGE_CODE.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class ElectionTimezoneMiddleware:
    """Show every time in the zone of the user's election (WIB, WITA or WIT; SPEC 5).

    A user only ever sees one regency, and a regency's zone follows its province code, so the
    zone comes from the user's area code without a query. Templates get its name as `ZONE`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        area_code = getattr(getattr(request, "user", None), "area_id", None)
        if area_code:
            request.zone = zone_of(area_code)
            timezone.activate(tzinfo_of(area_code))
        else:
            request.zone = "WIB"
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def zone(request: HttpRequest) -> dict[str, str]:
    """Context processor: the abbreviation of the zone times are shown in."""
    return {"ZONE": getattr(request, "zone", "WIB")}


class RejectUnstorableTextMiddleware:
    """A query or form value with a NUL byte is answered 400, before any view sees it.

    PostgreSQL text cannot hold NUL, so such a value reaching a query or an INSERT (a search box,
    a reason for revealing a NIK) would be a 500. Nobody types one; a fuzzer or a scanner does.
    JSON bodies are checked where they are read (coklit.sync).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # The path needs no check: an area code with a NUL is no area (kpu.scoping.CODE), 404.
        values = [v for _k, vs in request.GET.lists() for v in [_k, *vs]]
        if request.method == "POST" and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            values += [v for _k, vs in request.POST.lists() for v in [_k, *vs]]
        if any(unstorable(v) for v in values):
            return HttpResponseBadRequest(
                "Permintaan berisi karakter yang tidak sah.", content_type="text/plain"
            )
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """Refuse a body too big for whoever sends it, before anything reads it (413).

    Django caps form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but not files: an anonymous 300 MB
    multipart POST to the login page was read whole, spooled to disk, before the CSRF 403
    (issue 15). Here the declared length is checked first: an anonymous request may send a
    login form, a logged-in one an upload. The API keeps Django's own limit (2.5 MB, answered
    as JSON by coklit.api). The proxy caps bodies too; this holds where it does not.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body without a valid length
        if length > settings.MAX_ANONYMOUS_BODY and not request.path.startswith("/api/"):
            limit = settings.MAX_UPLOAD_BODY if self._logged_in(request) else 0
            if length > max(limit, settings.MAX_ANONYMOUS_BODY):
                return HttpResponse(
                    _("Permintaan terlalu besar (%(n)s byte).") % {"n": length},
                    status=413,
                    content_type="text/plain; charset=utf-8",
                )
        return self.get_response(request)

    @staticmethod
    def _logged_in(request: HttpRequest) -> bool:
        from django.contrib.auth import get_user

        # AuthenticationMiddleware reuses `_cached_user`, so the session is read once.
        if not hasattr(request, "_cached_user"):
            request._cached_user = get_user(request)
        return request._cached_user.is_authenticated


# Where a user with a one-time password may still go: the page that replaces it, logging out,
# the language switch, static files and the health check.
PASSWORD_CHANGE_EXEMPT = ("/sandi/", "/keluar/", "/i18n/", "/static/", "/healthz")


class PasswordChangeRequiredMiddleware:
    """A one-time password (generated on the account pages, in a roster or by add_user without
    --password) opens only the "Ganti kata sandi" page until the user sets their own (SPEC 10).

    A printed slip passes through hands; once changed, the slip opens nothing. The device API
    authenticates by token, not by this session, and is not affected.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and getattr(user, "must_change_password", False)
            and not request.path.startswith(PASSWORD_CHANGE_EXEMPT)
        ):
            message = _("Ganti dulu sandi sekali pakai Anda dengan sandi Anda sendiri.")
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": str(message)}, status=403)
            target = reverse("kpu-password-change")
            if request.headers.get("HX-Request") == "true":
                return HttpResponseClientRedirect(target)
            return redirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class NoStoreMiddleware:
    """`Cache-Control: no-store` on every answer to a logged-in user or a device (SPEC 10:
    answers that carry personal data are never cached) unless the view chose its own.

    The NIK reveal and the voter lists carried no Cache-Control at all (issue 15 item 13): a
    shared office PC's browser cache, or a proxy, kept them. Deciding per view missed those; a
    default for everyone who is logged in cannot miss one. The dashboard's poll keeps its own
    `private, no-cache` (figures only, revalidated by ETag for its 304).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        if request.path.startswith("/api/") or (user is not None and user.is_authenticated):
            response["Cache-Control"] = "no-store, private"
        return response


class PlainNotFoundMiddleware:
    """The project's own 404 page even with DJANGO_DEBUG=1 (the demo runs so).

    With DEBUG on, Django answers a 404 with its technical page: the URL patterns listed, in
    English, on yellow; for an officer who followed a link outside their area that reads as a
    broken app. Only that technical page is replaced (an API's JSON 404 or a view's own 404
    page pass through); with DEBUG off Django renders templates/404.html itself.
    """

    TECHNICAL = b"<title>Page not found at"

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            settings.DEBUG
            and response.status_code == 404
            and not getattr(response, "streaming", False)
            and self.TECHNICAL in response.content[:1000]
        ):
            return render(request, "404.html", status=404)
        return response
