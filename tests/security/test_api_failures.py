"""The sync API under malformed events and a struggling database (issue 15 item 6, SPEC 6).

Every answer is JSON; a malformed event is rejected alone while the rest of its batch stands;
a database that is unavailable or gives up on a timeout answers 503 with Retry-After.
"""

import pytest
from django.db import connection, transaction

from coklit import sync
from coklit.models import CoklitEvent, Voter
from tests.coklit.conftest import Device, add_voters, event

pytestmark = pytest.mark.django_db


@pytest.fixture
def device(world):
    d = Device(world.pantarlih)
    # As gunicorn would: an exception becomes the project's error answer, not a test failure.
    d.client.raise_request_exception = False
    return d


def _nested(depth: int):
    value = "Ani"
    for _ in range(depth):
        value = {"a": value}
    return value


def test_an_event_nested_500_deep_is_rejected_alone_and_the_batch_stands(world, device):
    """Issue 15 item 6: `changes` nested ~500 deep raised RecursionError, an HTML 500, and the
    batch's valid events were lost."""
    voters = add_voters(world.tps1, 2)
    good, bad = event(voters[0].pk), event(voters[1].pk, changes={"nama": _nested(500)})
    response = device.sync([good, bad])
    assert response.status_code == 200, response.content[:300]
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected"]
    assert "terlalu dalam" in results[1]["error"]
    assert Voter.objects.get(pk=voters[0].pk).status == "MS"
    assert not CoklitEvent.objects.filter(pk=bad["id"]).exists()


@pytest.mark.parametrize("offset", ["+23:59", "-13:00", "+14:30"])
def test_an_offset_outside_the_earths_is_rejected_alone(world, device, offset):
    """Issue 15 item 6: `+23:59` reached PostgreSQL ("time zone displacement out of range")."""
    voters = add_voters(world.tps1, 2)
    bad = event(voters[1].pk)
    bad["recorded_at"] = bad["recorded_at"][:19] + offset
    response = device.sync([event(voters[0].pk), bad])
    assert response.status_code == 200, response.content[:300]
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted", "rejected"]
    assert "-12:00..+14:00" in results[1]["error"]


@pytest.mark.parametrize("offset", ["+14:00", "-12:00", "+09:00"])
def test_the_earths_own_offsets_are_accepted(world, device, offset):
    voter = add_voters(world.tps1, 1)[0]
    e = event(voter.pk)
    e["recorded_at"] = e["recorded_at"][:19] + offset
    assert device.statuses([e]) == ["accepted"]


def test_a_statement_timeout_is_a_503_with_retry_after_and_nothing_applied(
    world, device, monkeypatch
):
    """Issue 15 item 6: a lock or statement timeout reached the device as an HTML 500. Here
    PostgreSQL itself cancels a statement (QueryCanceled, as a lock_timeout's LockNotAvailable,
    both OperationalError) in the middle of the batch's transaction."""
    voter = add_voters(world.tps1, 1)[0]
    real = sync._Batch.write

    def slow_write(self):
        real(self)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 1")
            cursor.execute("SELECT pg_sleep(1)")

    monkeypatch.setattr(sync._Batch, "write", slow_write)
    with transaction.atomic():  # the test's savepoint: PostgreSQL aborts it with the error
        response = device.sync([event(voter.pk)])
        transaction.set_rollback(True)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert int(response["Retry-After"]) > 0
    assert "Kirim ulang" in response.json()["detail"]
    assert Voter.objects.get(pk=voter.pk).status == "BELUM"


def test_an_unknown_api_path_and_a_crash_are_json(world, device, monkeypatch):
    response = device.client.get("/api/v1/tidak-ada", headers=device.headers)
    assert response.status_code == 404 and response.json()["detail"]

    def boom(**kwargs):
        raise ZeroDivisionError

    monkeypatch.setattr(sync, "sync_batch", boom)
    response = device.sync([event(1)])
    assert response.status_code == 500 and "sudah dicatat" in response.json()["detail"]


def test_a_database_error_outside_the_api_handler_is_json_too(world, device, monkeypatch):
    """A failure before the API's own handlers (here: the token lookup's query) goes through
    the project's handler500: JSON, and 503 for an unavailable database."""
    from django.db import OperationalError

    from coklit import api

    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(api.DeviceTokenAuth, "authenticate", down)
    response = device.sync([event(1)])
    assert response.status_code == 503 and response["Retry-After"]
    assert response.json()["detail"]
