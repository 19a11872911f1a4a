"""Production settings: HTTPS only, secure cookies, HSTS (SPEC 10/11).

Run in a subprocess with the production environment, as tests/kpu/test_settings.py does: the
test process itself runs with test conveniences (no HTTPS redirect, insecure cookies).
"""

import json

from tests.kpu.test_settings import PROD, manage

SCRIPT = r"""
import json
from django.conf import settings
from django.test import Client, override_settings
# The hashed static files come from collectstatic at deploy time; plain names do here.
plain_static = {**settings.STORAGES, "staticfiles": {
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
override_settings(STORAGES=plain_static).enable()
c = Client()
plain = c.get("/masuk/", HTTP_HOST="coklit.example.go.id")
r = c.get("/masuk/", HTTP_HOST="coklit.example.go.id", secure=True)
cookie = r.cookies.get("csrftoken")
health = c.get("/healthz", HTTP_HOST="coklit.example.go.id")
print(json.dumps({
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "SESSION_COOKIE_HTTPONLY": settings.SESSION_COOKIE_HTTPONLY,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location", ""),
    "status": r.status_code,
    "hsts": r.get("Strict-Transport-Security", ""),
    "csp": r.get("Content-Security-Policy", ""),
    "frame": r.get("X-Frame-Options", ""),
    "nosniff": r.get("X-Content-Type-Options", ""),
    "csrf_cookie_secure": bool(cookie and cookie["secure"]),
    "healthz_plain": health.status_code,
}))
"""


def test_production_is_https_only_with_secure_cookies_and_hsts(tmp_path):
    env = {**PROD, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = manage("shell", "-c", SCRIPT, **env)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout.strip().splitlines()[-1])
    assert got["SESSION_COOKIE_SECURE"] and got["CSRF_COOKIE_SECURE"]
    assert got["SESSION_COOKIE_HTTPONLY"]
    assert got["SECURE_SSL_REDIRECT"] and got["SECURE_HSTS_SECONDS"] >= 31_536_000
    # Plain HTTP is sent to HTTPS; over HTTPS the answer carries HSTS and the other headers.
    assert got["plain_status"] == 301
    assert got["plain_location"] == "https://coklit.example.go.id/masuk/"
    assert got["status"] == 200
    assert got["hsts"] == "max-age=31536000; includeSubDomains; preload"
    assert "script-src 'self'" in got["csp"] and "frame-ancestors 'none'" in got["csp"]
    assert (got["frame"], got["nosniff"]) == ("DENY", "nosniff")
    assert got["csrf_cookie_secure"]


def test_healthz_answers_over_plain_http_in_production(tmp_path):
    """Issue 15 item 9: a load balancer checks /healthz over plain HTTP; a 301 there failed the
    check and took the server out of the pool."""
    env = {**PROD, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    result = manage("shell", "-c", SCRIPT, **env)
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout.strip().splitlines()[-1])
    assert got["plain_status"] == 301 and got["healthz_plain"] == 200


def test_debug_mode_is_never_production(tmp_path):
    """The local demo (DJANGO_DEBUG=1) is the only place cookies go over plain HTTP."""
    env = {**PROD, "DJANGO_DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    script = (
        "from django.conf import settings; import json; "
        "print(json.dumps([settings.DEBUG, settings.SESSION_COOKIE_SECURE]))"
    )
    result = manage("shell", "-c", script, **env)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == [True, False], result.stderr
