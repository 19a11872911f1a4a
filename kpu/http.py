import ipaddress

from django.conf import settings
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from kpu.models import User


class AuthedRequest(HttpRequest):
    """A request of a logged-in user, with django-htmx's details (for type checkers)."""

    user: User
    htmx: HtmxDetails


def client_ip(request: HttpRequest) -> str:
    """The client's address: from the trusted proxy's header when one is configured.

    Behind the load balancer of docs/SCALING.md every request's REMOTE_ADDR is the balancer's,
    so a lock keyed on it locked everyone (issue 15). settings.CLIENT_IP_HEADER names the
    header the proxy writes (`X-Forwarded-For`), settings.TRUSTED_PROXY_COUNT how many proxies
    in front of the app append to it. Each appends the address it was reached from, so the
    client is the entry that many places from the right; anything further left was written by
    the client and proves nothing. (python-ipware counts proxies differently: its header lists
    the proxies themselves, which an appending proxy does not write.) A request without the
    header did not come through the proxy: its REMOTE_ADDR is the client.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    header = settings.CLIENT_IP_HEADER
    if not header:
        return remote
    key = "HTTP_" + header.upper().replace("-", "_")
    value = request.META.get(key, "")
    if not value:
        return remote
    parts = [p.strip() for p in value.split(",")]
    count = max(settings.TRUSTED_PROXY_COUNT, 1)
    if len(parts) < count:
        return remote
    candidate = parts[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
