"""Settings come from the environment and fail loudly on bad values (SPEC 11)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROD = {
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": "k8#v2@pq!x9zr4m7w1c6t3b5n0y8u2e4i6o9a1s3d5f7g9h2j4",
    "DJANGO_ALLOWED_HOSTS": "coklit.example.go.id",
}


def manage(*args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **PROD)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_it_refuses_to_start_without_a_secret_key():
    env = {**PROD, "DJANGO_SECRET_KEY": ""}
    result = manage("check", **env)
    assert result.returncode != 0 and "DJANGO_SECRET_KEY is not set" in result.stderr


def test_it_refuses_a_bad_boolean():
    result = manage("check", **{**PROD, "DJANGO_DEBUG": "maybe"})
    assert result.returncode != 0 and "DJANGO_DEBUG='maybe'" in result.stderr


def test_it_refuses_missing_allowed_hosts():
    env = {**PROD, "DJANGO_ALLOWED_HOSTS": ""}
    result = manage("check", **env)
    assert result.returncode != 0 and "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_debug_is_off_unless_set():
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DEBUG)",
        **{k: v for k, v in PROD.items() if k != "DJANGO_DEBUG"},
    )
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


def test_sessions_are_cached_only_in_a_shared_cache():
    show = "from django.conf import settings; print(settings.SESSION_ENGINE)"
    shared = manage("shell", "-c", show, **PROD, REDIS_URL="redis://127.0.0.1:6379/0")
    assert shared.stdout.strip().splitlines()[-1].endswith(".cached_db"), shared.stderr
    # Without Redis the cache is per process: a logout must reach every worker, so the database.
    local = manage("shell", "-c", show, **PROD, REDIS_URL="")
    assert local.stdout.strip().splitlines()[-1] == "django.contrib.sessions.backends.db"
