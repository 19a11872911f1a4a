"""Login throttling beyond django-axes (SPEC 10, issue 15 item 5).

django-axes locks a username at one client address after 5 failures (AXES_LOCKOUT_PARAMETERS,
the address from the trusted proxy: kpu.http.client_ip). Usernames are predictable
(`pps-62.71.01.1001`), so a lock by username alone would let anyone lock out any officer.
Guessing one username from many addresses is slowed instead: past LOGIN_SLOW_AFTER failures
within the cool-off, one attempt per LOGIN_SLOW_SECONDS is checked, the rest are answered 429
with Retry-After before any password is tried. The real user waits seconds, never 15 minutes.
"""

import datetime as dt

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone


def login_wait(username: str) -> int:
    """Seconds before an attempt at `username` may be checked again (0: now)."""
    if not username:
        return 0
    now = timezone.now()
    since = now - (get_cool_off() or dt.timedelta(minutes=15))
    figures = AccessAttempt.objects.filter(username=username, attempt_time__gte=since).aggregate(
        failures=Sum("failures_since_start"), last=Max("attempt_time")
    )
    if (figures["failures"] or 0) < settings.LOGIN_SLOW_AFTER:
        return 0
    ready = figures["last"] + dt.timedelta(seconds=settings.LOGIN_SLOW_SECONDS)
    return max(0, int((ready - now).total_seconds() + 0.999))
