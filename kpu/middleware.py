from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


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
