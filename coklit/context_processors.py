"""The regency's stage and response period on every page (SPEC 8b), for a user with an area.

Lazy: only a page that shows it (base.html's stage bar) reads it; htmx partials never do.
"""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def stage(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    code = getattr(user, "area_id", None) if user is not None else None
    if not code or not getattr(user, "is_authenticated", False):
        return {"regency_stage": None}

    def read():
        from coklit.tanggapan import regency_stage

        return regency_stage(".".join(code.split(".")[:2]))

    return {"regency_stage": SimpleLazyObject(read)}
