"""Throttled logins and bounded request bodies (SPEC 10), with the settings as shipped."""

import json

import pytest
from django.conf import settings
from django.test import Client

from coklit.sync import MAX_EVENTS, MAX_NOTE
from tests.base import PASSWORD
from tests.coklit.conftest import SYNC_URL, Device

pytestmark = pytest.mark.django_db


def test_login_throttling_is_on_as_shipped(world):
    """django-axes: 5 failures of one username from one address lock it, even the right
    password; another user from the same address is not locked."""
    assert settings.AXES_FAILURE_LIMIT == 5 and "axes.middleware.AxesMiddleware" in (
        settings.MIDDLEWARE
    )
    client = Client(REMOTE_ADDR="10.1.2.3")
    for _ in range(5):
        response = client.post("/masuk/", {"username": "pps", "password": "salah"})
    assert response.status_code == 429
    response = client.post("/masuk/", {"username": "pps", "password": PASSWORD})
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    other = client.post("/masuk/", {"username": "ppk", "password": PASSWORD})
    assert other.status_code == 302


def test_the_api_refuses_a_body_over_the_shipped_limit(world):
    """2.5 MB (Django's DATA_UPLOAD_MAX_MEMORY_SIZE) holds a full 1,000-event batch with notes;
    anything bigger is 413 before it is parsed."""
    device = Device(world.pantarlih)
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert limit == 2_621_440
    body = json.dumps({"events": [{"note": "x" * 1000}] * 3000})
    assert len(body) > limit
    response = device.client.post(
        SYNC_URL, data=body, content_type="application/json", headers=device.headers
    )
    assert response.status_code == 413
    assert "terlalu besar" in response.json()["detail"]


def test_a_full_batch_of_long_notes_fits_under_the_limit():
    event = {
        "id": "0b6f7f2e-6a43-4c1e-9d4e-1c2f3a4b5c6d",
        "voter": 123456789,
        "outcome": "TMS",
        "tms_reason": 1,
        "note": "x" * MAX_NOTE,
        "recorded_at": "2024-07-01T09:30:00+07:00",
    }
    assert len(json.dumps({"events": [event] * MAX_EVENTS})) < settings.DATA_UPLOAD_MAX_MEMORY_SIZE
