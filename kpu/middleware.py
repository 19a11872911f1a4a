from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import timezone

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
