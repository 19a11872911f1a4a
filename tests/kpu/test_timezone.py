"""Every time is shown in the zone of the user's election, with its name (SPEC 5)."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.coklit.workflow import make_voter, record

pytestmark = pytest.mark.django_db


def test_the_queue_shows_times_in_the_zone_of_the_users_election(world, login):
    event = record(make_voter(world.tps1), "TMS", tms_reason=4, note="pindah")
    event.recorded_at = dt.datetime(2026, 11, 20, 7, 5, tzinfo=dt.UTC)
    event.save(update_fields=["recorded_at"])
    page = login(world.pps).get(f"/wilayah/{world.village.code}/verifikasi/").content.decode()
    assert "20 Nov, 14.05 WIB" in page  # 07.05 UTC is 14.05 in Palangka Raya


def test_a_papua_user_sees_wit(world, login):
    client = login(world.kpu_mimika)
    response = client.get(f"/wilayah/{world.tps_mimika.code}/")
    assert response.status_code == 200
    assert response.context["ZONE"] == "WIT"
    assert timezone.get_current_timezone_name() != "Asia/Jayapura"  # not left active after
