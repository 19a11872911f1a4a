import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from kpu.models import ZONES, zone_for_province


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
            zone = zone_for_province(area_code.split(".")[0])
            request.zone = zone
            timezone.activate(zoneinfo.ZoneInfo(ZONES[zone]))
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
