"""The TPS page: reconciliation with the pantarlih's phone, and the voter list (NIK masked)."""

import datetime as dt

import pytest
from django.utils import timezone

from coklit.dashboard import VOTERS_PER_PAGE
from tests.coklit.dashboard_support import add_voters, election, set_figures, set_outcome
from tests.coklit.test_area_page import LIVE, query_count

pytestmark = pytest.mark.django_db


def test_it_shows_pantarlih_last_sync_app_version_and_results(world, login):
    election(world.regency)
    at = timezone.now().replace(hour=7, minute=5, second=0, microsecond=0, tzinfo=dt.UTC)
    set_figures(world.tps1, target_l=3, results=17, last_sync_at=at, app_version="1.4.2")
    html = login(world.pps).get(f"/wilayah/{world.tps1.code}/").content.decode()
    assert world.pantarlih.display_name in html
    assert world.pantarlih2.display_name not in html  # another TPS's pantarlih
    assert "14.05 WIB" in html  # 07.05 UTC in Palangka Raya
    assert "1.4.2" in html
    assert '<b class="results">17</b>' in html


def test_a_tps_that_never_synced_says_so(world, login):
    election(world.regency)
    html = login(world.pantarlih).get(f"/wilayah/{world.tps1.code}/").content.decode()
    assert "belum pernah" in html


def test_the_voter_list_masks_nik_and_shows_status_and_flags(world, login):
    election(world.regency)
    (v,) = add_voters(world.tps1, nik="6271014101900001", flags="nik_tgl")
    set_outcome(v, status="TMS", tms_reason=1, verification="pending")
    html = login(world.pps).get(f"/wilayah/{world.tps1.code}/").content.decode()
    assert "6271**********01" in html
    assert "6271014101900001" not in html
    assert "TMS 1" in html
    assert "Tanggal lahir pada NIK tidak cocok" in html
    assert "badge pending" in html


def test_the_voter_list_is_paginated_and_filtered(world, login):
    election(world.regency)
    voters = add_voters(world.tps1, VOTERS_PER_PAGE + 5)
    set_outcome(voters[-1], status="MS")
    client = login(world.pps)
    url = f"/wilayah/{world.tps1.code}/"
    page2 = client.get(url + "?hal=2", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="voters")
    html = page2.content.decode()
    assert html.lstrip().startswith('<section id="voters"')
    assert voters[-1].nama in html and voters[0].nama not in html
    ms = client.get(url + "?status=MS").content.decode()
    assert voters[-1].nama in ms and voters[0].nama + "<" not in ms


def test_the_tps_page_costs_the_same_with_more_voters(world, login):
    election(world.regency)
    client = login(world.pps)
    url = f"/wilayah/{world.tps1.code}/"
    add_voters(world.tps1, 2)
    few = query_count(client, url), query_count(client, url, **LIVE)
    add_voters(world.tps1, 80, flags="nik_tgl")
    assert (query_count(client, url), query_count(client, url, **LIVE)) == few
