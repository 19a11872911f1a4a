"""The area page of every level: totals, children table, filter, live partial with its ETag."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coklit.figures import ensure_tps
from coklit.models import DailyProgress, TpsFigures
from kpu.models import Area
from tests.coklit.dashboard_support import add_voters, election, set_figures, set_outcome
from tests.coklit.workflow import set_pleno

pytestmark = pytest.mark.django_db

LIVE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "live"}


def rows_of(html: str) -> list[str]:
    """Child codes in table order."""
    body = html.split('id="children"', 1)[1]
    return re.findall(r'<td class="code hide-sm">([\d.]+)</td>', body)


def test_it_shows_the_totals_with_their_denominator(world, login):
    election(world.regency)
    voters = add_voters(world.tps1, 3)
    set_outcome(voters[0], status="MS")
    set_outcome(voters[1], status="TMS", tms_reason=4, verification="pending")
    html = login(world.kpu).get(f"/wilayah/{world.village.code}/").content.decode()
    assert "66,6%" in html  # 2 of 3, rounded down
    assert "2 dari 3 pemilih Model A" in html
    assert "Selesai coklit dibagi pemilih Model A" in html
    assert "4 Pindah domisili</dt><dd>1</dd>" in html


def test_a_rate_is_never_rounded_up_to_100(world, login):
    election(world.regency)
    set_figures(world.tps1, target_l=10000, done=9996)
    html = login(world.kpu).get(f"/wilayah/{world.district.code}/").content.decode()
    assert "99,9%" in html and "100,0%" not in html


def test_numbers_are_written_the_indonesian_way_and_english_is_available(world, login):
    election(world.regency)
    set_figures(world.tps1, target_l=1234567, done=807407)
    client = login(world.kpu)
    html = client.get(f"/wilayah/{world.regency.code}/").content.decode()
    assert "1.234.567" in html and "65,4%" in html
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get(f"/wilayah/{world.regency.code}/").content.decode()
    assert "1,234,567" in html and "65.4%" in html
    assert "Coklit done" in html and "Needs attention" in html


def test_children_link_to_their_pages_with_htmx(world, login):
    election(world.regency)
    html = login(world.ppk).get(f"/wilayah/{world.district.code}/").content.decode()
    url = f"/wilayah/{world.village.code}/"
    assert f'href="{url}" hx-get="{url}"' in html
    assert world.village_panarung.code in rows_of(html)


def test_breadcrumbs_link_only_inside_scope(world, login):
    html = login(world.pps).get(f"/wilayah/{world.tps1.code}/").content.decode()
    crumbs = html.split('class="crumbs"', 1)[1].split("</nav>", 1)[0]
    assert f'href="/wilayah/{world.village.code}/"' in crumbs
    assert f'href="/wilayah/{world.district.code}/"' not in crumbs
    assert "Kecamatan Pahandut" in crumbs  # named, not linked


def test_the_table_sorts_by_completion(world, login):
    election(world.regency)
    set_figures(world.tps1, target_l=10, done=9)
    set_figures(world.tps_panarung, target_l=10, done=2)
    client = login(world.ppk)
    url = f"/wilayah/{world.district.code}/"
    up = rows_of(client.get(url + "?sort=ratio").content.decode())
    down = rows_of(client.get(url + "?sort=-ratio").content.decode())
    assert down[0] == world.village.code and down[1] == world.village_panarung.code
    assert up[-1] == world.village.code


def test_the_filter_keeps_only_those_behind_expected_progress(world, login):
    # 10 of 30 days gone: a third expected by now.
    election(world.regency, days_before=10, days_after=19)
    set_figures(world.tps1, target_l=10, done=9)
    set_figures(world.tps_panarung, target_l=10, done=1)
    client = login(world.ppk)
    url = f"/wilayah/{world.district.code}/"
    everyone = rows_of(client.get(url).content.decode())
    behind = client.get(url + "?tertinggal=1", **LIVE).content.decode()
    assert world.village.code in everyone and world.village_panarung.code in everyone
    # Villages with no voters yet are not behind: there is nothing to do there.
    assert rows_of(behind) == [world.village_panarung.code]
    assert "tertinggal" in behind and 'name="tertinggal" value="1" checked' in behind


def test_before_the_period_nobody_is_behind(world, login):
    election(world.regency, days_before=-3, days_after=30)
    set_figures(world.tps_panarung, target_l=10, done=0)
    html = login(world.ppk).get(f"/wilayah/{world.district.code}/?tertinggal=1").content
    assert rows_of(html.decode()) == []


def test_rows_show_their_exceptions(world, login):
    pemilihan = election(world.regency, days_before=10)
    old = timezone.now() - dt.timedelta(hours=49)
    set_figures(world.tps1, target_l=5, pending=3, conflicts=1, flagged=2, last_sync_at=old)
    # Never synced, with voters, and the coklit has run for more than 48 h: not synced too.
    set_figures(world.tps2, target_l=5)
    html = login(world.ppk).get(f"/wilayah/{world.district.code}/").content.decode()
    row = html.split(f">{world.village.code}<", 1)[1].split("</tr>", 1)[0]
    # Each count with its word (no hover-only meaning) and a link to the list behind it.
    village = world.village.code
    assert f'class="badge pending" href="/wilayah/{village}/verifikasi/">3&nbsp;verifikasi<' in row
    assert (
        f'class="badge conflict" href="/wilayah/{village}/verifikasi/?hasil=konflik">'
        "1&nbsp;konflik<"
    ) in row
    assert (
        f'class="badge flag" href="/wilayah/{village}/?perhatian=flagged#children">2&nbsp;ditandai<'
    ) in row
    assert (
        f'class="badge stale" href="/wilayah/{village}/?perhatian=stale#children">'
        "2&nbsp;TPS belum sinkron<"
    ) in row
    # A TPS that synced an hour ago is fine, and so is one never synced in the first 48 h.
    set_figures(world.tps1, last_sync_at=timezone.now() - dt.timedelta(hours=1))
    pemilihan.coklit_start = timezone.localdate()
    pemilihan.save()
    html = login(world.ppk).get(f"/wilayah/{world.district.code}/").content.decode()
    row = html.split(f">{world.village.code}<", 1)[1].split("</tr>", 1)[0]
    assert "badge stale" not in row


def test_every_exception_count_links_to_the_list_behind_it(world, login):
    election(world.regency, days_before=10)
    set_figures(world.tps1, target_l=5, pending=3, conflicts=1, flagged=2)
    set_figures(world.tps2, target_l=5, flagged=1)
    client = login(world.ppk)
    district = client.get(f"/wilayah/{world.district.code}/").content.decode()
    for key in ("pending", "conflicts", "flagged"):
        assert f'href="/wilayah/{world.district.code}/?perhatian={key}#children"' in district
    village = client.get(f"/wilayah/{world.village.code}/").content.decode()
    assert f'href="/wilayah/{world.village.code}/verifikasi/"' in village
    assert f'href="/wilayah/{world.village.code}/verifikasi/?hasil=konflik"' in village
    tps = world.tps1.code
    assert f'href="/wilayah/{world.village.code}/verifikasi/?tps={tps}"' in village
    assert f'href="/wilayah/{tps}/?status=ditandai#voters"' in village
    # The list behind a count: the children that have one, and the filter says so.
    only = client.get(f"/wilayah/{world.village.code}/?perhatian=conflicts").content.decode()
    assert rows_of(only) == [tps]
    assert "Hanya yang punya: konflik antar-pantarlih." in only
    flagged = client.get(f"/wilayah/{world.village.code}/?perhatian=flagged").content.decode()
    assert sorted(rows_of(flagged)) == sorted([tps, world.tps2.code])
    # An unknown filter is no filter.
    anything = client.get(f"/wilayah/{world.village.code}/?perhatian=x").content.decode()
    assert sorted(rows_of(anything)) == sorted([tps, world.tps2.code])


def test_the_headline_gives_the_gap_to_the_expected_progress(world, login):
    election(world.regency, days_before=10, days_after=10)
    set_figures(world.tps1, target_l=10, done=1)
    html = login(world.pps).get(f"/wilayah/{world.village.code}/").content.decode()
    card = html.split('id="headline"', 1)[1].split("</section>", 1)[0]
    assert '<b class="pct">10,0%</b>' in card and "Seharusnya hari ini" in card
    assert "poin" in card and "di bawah yang diharapkan" in card and "Angka per" in card
    # The card comes before the exports, the period and the search.
    assert html.index('id="headline"') < html.index('class="area-tools"')
    assert html.index('id="headline"') < html.index('role="search"')
    # A poll brings the card out of band.
    poll = login(world.pps).get(
        f"/wilayah/{world.village.code}/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="live"
    )
    assert 'id="headline" class="headline"' in poll.text and 'hx-swap-oob="true"' in poll.text


def test_a_district_page_shows_each_villages_pleno_and_days_waited(world, login):
    election(world.regency)
    set_pleno(world.village, state_since=timezone.now() - dt.timedelta(days=4, hours=1))
    html = login(world.ppk).get(f"/wilayah/{world.district.code}/").content.decode()
    # The PPK's inbox lists the pleno too; look at the children table.
    html = html.split('<section class="children"', 1)[1]
    row = html.split(f">{world.village.code}<", 1)[1].split("</tr>", 1)[0]
    assert '<span class="state sudah">Sudah pleno</span>' in row
    assert '<span class="late">4 hari</span>' in row
    other = html.split(f">{world.village_panarung.code}<", 1)[1].split("</tr>", 1)[0]
    assert '<span class="state belum">Belum pleno</span>' in other


def test_a_regency_page_shows_each_districts_pleno_and_its_villages_held(world, login):
    election(world.regency)
    set_pleno(world.village)
    set_pleno(world.district_bukit_batu, "dikembalikan", days_ago=2)
    villages = Area.objects.filter(parent=world.district).count()
    html = login(world.kpu).get(f"/wilayah/{world.regency.code}/").content.decode()
    html = html.split('<section class="children"', 1)[1]
    row = html.split(f">{world.district.code}<", 1)[1].split("</tr>", 1)[0]
    assert '<span class="state belum">Belum pleno</span>' in row
    assert f">1/{villages} kelurahan/desa sudah pleno<" in row
    other = html.split(f">{world.district_bukit_batu.code}<", 1)[1].split("</tr>", 1)[0]
    assert '<span class="state dikembalikan">Dikembalikan</span>' in other
    assert "2 hari" in other


def test_the_chart_follows_daily_progress_against_the_ideal_line(world, login):
    pemilihan = election(world.regency, days_before=2, days_after=1)
    set_figures(world.tps1, target_l=10, done=5)
    DailyProgress.objects.create(area_code=world.village.code, day=pemilihan.coklit_start, done=5)
    html = login(world.pps).get(f"/wilayah/{world.village.code}/").content.decode()
    svg = html.split("<svg viewBox", 1)[1].split("</svg>", 1)[0]
    assert 'class="ideal"' in svg and 'class="actual"' in svg
    assert "Selesai coklit 50,0% dari pemilih Model A" in svg
    # 4-day period: the end of day 1 sits a quarter along, at 50%.
    points = re.search(r'class="actual" points="([^"]+)"', svg).group(1).split()
    assert points[1] == "151.5,130.0"
    assert "style=" not in html  # CSP: no inline styles anywhere


def test_the_live_partial_answers_304_when_nothing_changed(world, login):
    election(world.regency)
    (voter,) = add_voters(world.tps1)
    client = login(world.pps)
    url = f"/wilayah/{world.village.code}/"
    first = client.get(url, **LIVE)
    assert first.status_code == 200
    assert first.content.decode().lstrip().startswith('<section id="live"')
    assert "<html" not in first.content.decode()
    etag = first["ETag"]
    assert "HX-Request" in first["Vary"] and "no-cache" in first["Cache-Control"]
    again = client.get(url, HTTP_IF_NONE_MATCH=etag, **LIVE)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag
    # Another filter is another rendering.
    other = client.get(url + "?sort=-ratio", HTTP_IF_NONE_MATCH=etag, **LIVE)
    assert other.status_code == 200
    # A figure change makes a new version.
    set_outcome(voter, status="MS")
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag, **LIVE)
    assert changed.status_code == 200 and changed["ETag"] != etag
    # And so does a pleno changing state, the area's own or one below it.
    etag = changed["ETag"]
    set_pleno(world.village)
    again = client.get(url, HTTP_IF_NONE_MATCH=etag, **LIVE)
    assert again.status_code == 200
    set_pleno(world.regency)
    assert client.get(url, HTTP_IF_NONE_MATCH=again["ETag"], **LIVE).status_code == 200


def test_a_304_costs_a_few_queries_and_no_rendering(world, login):
    election(world.regency)
    client = login(world.kpu)
    url = f"/wilayah/{world.regency.code}/"
    etag = client.get(url, **LIVE)["ETag"]
    # session, user, and one query for the area with the version of its figures and plenos;
    # the scope check reads the user's area code, not the area row
    with CaptureQueriesContext(connection) as q:
        assert client.get(url, HTTP_IF_NONE_MATCH=etag, **LIVE).status_code == 304
    assert len(q) == 3
    version = q.captured_queries[-1]["sql"]
    # One row of the regency's version, not its TPS rows.
    assert "kpu_area" in version and "coklit_areaversion" in version
    assert "coklit_tpsfigures" not in version


def test_every_figures_change_bumps_the_versions_above_the_tps(world, login):
    from coklit.figures import ensure_tps
    from coklit.models import AreaVersion

    def versions():
        rows = dict(AreaVersion.objects.values_list("code", "version"))
        return [rows.get(a.code, 0) for a in (world.regency, world.district, world.village)]

    election(world.regency)
    (voter,) = add_voters(world.tps1)
    before = versions()
    set_outcome(voter, status="MS")
    assert versions() == [v + 1 for v in before]
    # A new TPS is a change too (its figures row is new), and so for the village's poll.
    client = login(world.pps)
    url = f"/wilayah/{world.village.code}/"
    etag = client.get(url, **LIVE)["ETag"]
    ensure_tps(world.village, [9])
    assert versions() == [v + 2 for v in before]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag, **LIVE).status_code == 200


def test_the_etag_changes_with_language_scope_and_election_period(world, login):
    pemilihan = election(world.regency)
    url = f"/wilayah/{world.village.code}/"
    kpu = login(world.kpu)
    etag = kpu.get(url, **LIVE)["ETag"]
    assert kpu.get(url, HTTP_IF_NONE_MATCH=etag, **LIVE).status_code == 304
    # Another viewer with another scope: links differ, so another rendering.
    ppk = login(world.ppk)
    other = ppk.get(url, HTTP_IF_NONE_MATCH=etag, **LIVE)
    assert other.status_code == 200 and other["ETag"] != etag
    # Another language.
    kpu.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = kpu.get(url, HTTP_IF_NONE_MATCH=etag, **LIVE)
    assert english.status_code == 200 and "Coklit done" in english.content.decode()
    # The coklit period moves the expected progress and the chart.
    etag = english["ETag"]
    pemilihan.coklit_end += dt.timedelta(days=7)
    pemilihan.save()
    assert kpu.get(url, HTTP_IF_NONE_MATCH=etag, **LIVE).status_code == 200


def test_a_valid_etag_never_skips_the_scope_check(world, login):
    election(world.regency)
    url = f"/wilayah/{world.village_panarung.code}/"
    etag = login(world.kpu).get(url, **LIVE)["ETag"]
    outsider = login(world.pps)  # PPS of Pahandut, not Panarung
    assert outsider.get(url, HTTP_IF_NONE_MATCH=etag, **LIVE).status_code == 404
    # An area in scope that does not exist is a 404 too, not a 304 or an empty partial.
    missing = f"/wilayah/{world.village.code}.999/"
    assert login(world.pps).get(missing, **LIVE).status_code == 404


def test_the_page_says_when_its_figures_are_as_of_in_the_election_zone(world, login):
    election(world.kpu_mimika.area)
    tps = world.tps_mimika
    at = dt.datetime(2026, 5, 14, 5, 5, tzinfo=dt.UTC)  # 14.05 in Papua (UTC+9)
    set_figures(tps, target_l=3, updated_at=at, last_sync_at=at, app_version="1.4.2")
    html = login(world.kpu_mimika).get(f"/wilayah/{tps.code}/").content.decode()
    assert "14.05 WIT" in html
    assert "1.4.2" in html


def query_count(client, url, **headers) -> int:
    with CaptureQueriesContext(connection) as q:
        assert client.get(url, **headers).status_code == 200
    return len(q)


@pytest.mark.parametrize("level", ["regency", "district", "village"])
def test_query_count_does_not_grow_with_children_or_voters(world, login, level):
    election(world.regency)
    client = login(world.kpu)
    area = getattr(world, level)
    url = f"/wilayah/{area.code}/"
    set_pleno(world.village)
    few_page, few_live = query_count(client, url), query_count(client, url, **LIVE)
    # Many more children (TPS) and voters everywhere below the area.
    for village in Area.objects.filter(parent=world.district)[:6]:
        tps = ensure_tps(village, range(1, 9))
        add_voters(tps[1], 5, status="MS")
        set_pleno(village)
    add_voters(world.tps1, 40)
    assert TpsFigures.objects.filter(district_code=world.district.code).count() > 40
    assert query_count(client, url) == few_page
    assert query_count(client, url, **LIVE) == few_live


def test_a_pps_gets_404_for_another_villages_page_and_partial(world, login):
    client = login(world.pps)
    url = f"/wilayah/{world.village_panarung.code}/"
    assert client.get(url).status_code == 404
    assert client.get(url, **LIVE).status_code == 404
    tps = f"/wilayah/{world.tps_panarung.code}/"
    assert client.get(tps, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="voters").status_code == 404


def test_papua_pages_speak_of_kampung_and_kelurahan_never_desa(world, login):
    """SPEC 3: in Papua a village coded 2xxx is a kampung and one coded 1xxx a kelurahan (Mimika
    has 19 of them); there is no desa. The area page, the pleno page, the search say so."""
    client = login(world.kpu_mimika)
    for url in (
        reverse("coklit-area", args=["94.04"]),
        reverse("coklit-pleno", args=["94.04.01"]),
        reverse("coklit-area-search", args=["94.04"]) + "?q=zzzz",
    ):
        page = client.get(url).text.lower()
        assert "kampung" in page and "desa" not in page, url
    page = client.get(reverse("coklit-queue", args=["94.04.01.1001"])).text.lower()
    assert "kelurahan koperapoka" in page and "desa" not in page


@pytest.mark.parametrize("days_before", [1, 10])  # never-synced TPS late only after 48 h
def test_the_grouped_figures_are_those_the_orm_computes(world, days_before):
    from coklit import dashboard
    from coklit.clock import clock_for
    from coklit.dashboard_sql import grouped_figures
    from kpu.models import Pemilihan

    election(world.regency, days_before=days_before)
    now = timezone.now()
    set_figures(world.tps1, target_l=7, target_p=5, done=9, tms_4=2, pending=1, app_version="1.4")
    set_figures(world.tps1, last_sync_at=now - dt.timedelta(hours=50), updated_at=now)
    set_figures(world.tps2, target_p=3, done=1, conflicts=2, app_version="1.5")
    set_figures(world.tps_panarung, target_l=4, last_sync_at=now - dt.timedelta(hours=1))
    pemilihan = Pemilihan.objects.get(regency=world.regency)
    for area in (world.regency, world.district, world.village):
        clock = clock_for(area=area, pemilihan=pemilihan)
        col = dashboard._CHILD_COL[area.level]
        expected = list(
            dashboard.figures_of(area=area)
            .values(col)
            .annotate(**dashboard._aggregates(clock))
            .order_by(col)
        )
        assert grouped_figures(area=area, clock=clock) == expected
        totals, _rows = dashboard.live_figures(area=area, clock=clock)
        assert totals == dashboard.area_totals(area=area, clock=clock)
    assert any(g["stale"] for g in expected)


def test_on_postgresql_the_polls_version_query_is_prepared(world, login):
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    election(world.regency)
    client = login(world.kpu)
    url = f"/wilayah/{world.regency.code}/"
    etag = client.get(url, **LIVE)["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=etag, **LIVE).status_code == 304
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("coklit_areaversion" in sql and "kpu_area" in sql for sql in prepared)


def test_a_pps_village_page_reads_its_pleno_and_figures_once(world, login):
    # The live panel, the PPS's inbox and the pleno panel all show the pleno and the queue.
    election(world.regency)
    set_pleno(world.village, "dikembalikan", returned_note="TMS keliru", returned_by=world.ppk)
    client = login(world.pps)
    with CaptureQueriesContext(connection) as q:
        html = client.get(f"/wilayah/{world.village.code}/").content.decode()
    sqls = [x["sql"] for x in q.captured_queries]
    # The village's pleno for the live panel and the inbox, its chain for the panel; the
    # regency's stage (SPEC 8b: which stage's pleno, one indexed row each) for those two, the
    # responses' card (the second stage's recap) and the stage bar of every page. Constant
    # whatever the size of the regency.
    assert sum("coklit_pleno" in s for s in sqls) == 6
    assert sum("FROM coklit_tpsfigures" in s or 'FROM "coklit_tpsfigures"' in s for s in sqls) == 1
    assert 'id="inbox"' in html and 'id="pleno-panel"' in html
    assert '<span class="state dikembalikan">' in html and "TMS keliru" in html
