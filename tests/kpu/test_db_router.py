"""The replica router (kpu/db_router.py): dashboard reads on the replica, the rest on the primary.

Under tests on PostgreSQL `replica` is a second connection to the same test database (TEST
MIRROR), so each query can be told apart by the connection that ran it, and the data is the same
on both. (On SQLite there is no such alias and these tests skip; CI runs PostgreSQL.)
"""

import re

import pytest
from django.conf import settings
from django.db import connections, router, transaction
from django.test.utils import CaptureQueriesContext

from coklit.models import TpsFigures
from kpu.db_router import PRIMARY, REPLICA, dashboard_reads
from kpu.models import Area, AuditEntry, DeviceToken, User
from kpu.services import token_issue

pytestmark = [
    pytest.mark.skipif(
        REPLICA not in settings.DATABASES, reason="the tests' replica alias is PostgreSQL-only"
    ),
    pytest.mark.django_db(transaction=True, databases=["default", "replica"]),
]

ROUTER = "kpu.db_router.ReplicaRouter"


@pytest.fixture
def routed(settings):
    settings.DATABASE_ROUTERS = [ROUTER]


def tables(captured) -> set[str]:
    return {t for q in captured.captured_queries for t in re.findall(r'FROM "?(\w+)', q["sql"])}


def fetch(client, url, **headers):
    primary, replica = connections[PRIMARY], connections[REPLICA]
    with CaptureQueriesContext(primary) as on_primary, CaptureQueriesContext(replica) as on_replica:
        response = client.get(url, headers=headers)
    return response, tables(on_primary), tables(on_replica)


SESSION_AND_USER = {"django_session", "kpu_user"}


def test_area_page_reads_figures_on_the_replica_and_who_asks_on_the_primary(world, login, routed):
    client = login(world.kpu)
    response, primary, replica = fetch(client, f"/wilayah/{world.regency.code}/")
    assert response.status_code == 200
    assert {"coklit_tpsfigures", "kpu_area"} <= replica
    assert SESSION_AND_USER <= primary
    assert not replica & SESSION_AND_USER
    assert "coklit_tpsfigures" not in primary


def test_poll_partial_and_its_304_read_on_the_replica(world, login, routed):
    client = login(world.ppk)
    url = f"/wilayah/{world.district.code}/"
    live = {"HX-Request": "true", "HX-Target": "live"}
    response, primary, replica = fetch(client, url, **live)
    assert response.status_code == 200
    assert "coklit_tpsfigures" in replica and "coklit_tpsfigures" not in primary

    response, primary, replica = fetch(client, url, **live, **{"If-None-Match": response["ETag"]})
    assert response.status_code == 304
    assert {"coklit_areaversion", "coklit_pleno"} <= replica
    assert SESSION_AND_USER <= primary and not replica & SESSION_AND_USER


def test_progress_api_reads_on_the_replica_and_checks_the_token_on_the_primary(world, routed):
    from django.test import Client

    client = Client()
    token = token_issue(user=world.pantarlih)
    response, primary, replica = fetch(
        client, f"/api/v1/progress/{world.tps1.code}", Authorization=f"Bearer {token}"
    )
    assert response.status_code == 200, response.content
    assert "coklit_tpsfigures" in replica
    assert "kpu_devicetoken" in primary and "kpu_devicetoken" not in replica


def test_outsider_gets_404_whichever_database_answers(world, login, routed):
    response, _primary, _replica = fetch(login(world.pps), f"/wilayah/{world.regency.code}/")
    assert response.status_code == 404


def test_without_the_router_nothing_reads_on_the_replica(world, login):
    response, primary, replica = fetch(login(world.kpu), f"/wilayah/{world.regency.code}/")
    assert response.status_code == 200
    assert replica == set() and "coklit_tpsfigures" in primary


def test_a_write_sends_the_reads_after_it_to_the_primary(world, routed):
    with dashboard_reads():
        assert router.db_for_read(TpsFigures) == REPLICA
        assert router.db_for_read(User) == PRIMARY  # who is asking never lags
        assert router.db_for_read(DeviceToken) == PRIMARY
        with CaptureQueriesContext(connections[REPLICA]) as on_replica:
            assert Area.objects.get(code=world.regency.code)._state.db == REPLICA
        assert tables(on_replica) == {"kpu_area"}
        AuditEntry.objects.create(action="bench", area_code=world.regency.code)
        assert router.db_for_read(TpsFigures) == PRIMARY
        assert Area.objects.get(code=world.regency.code)._state.db == PRIMARY
    assert router.db_for_read(TpsFigures) == PRIMARY  # outside the block


def test_reads_inside_a_primary_transaction_stay_on_the_primary(world, routed):
    with dashboard_reads():
        with transaction.atomic():
            assert router.db_for_read(TpsFigures) == PRIMARY
        assert router.db_for_read(TpsFigures) == REPLICA


def test_an_object_read_on_the_replica_is_saved_on_the_primary(world, routed):
    with dashboard_reads():
        area = Area.objects.get(code=world.village.code)
    assert area._state.db == REPLICA
    area.name = "Pahandut (diubah)"
    with CaptureQueriesContext(connections[REPLICA]) as on_replica:
        area.save()
    assert on_replica.captured_queries == []
    assert Area.objects.using(PRIMARY).get(code=area.code).name == "Pahandut (diubah)"


def test_the_replica_is_never_migrated(routed):
    assert router.allow_migrate(REPLICA, "coklit") is False
    assert router.allow_migrate(PRIMARY, "coklit") is True
