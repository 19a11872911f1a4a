from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from kpu.models import User


class AuthedRequest(HttpRequest):
    """A request of a logged-in user, with django-htmx's details (for type checkers)."""

    user: User
    htmx: HtmxDetails
