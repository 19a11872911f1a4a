"""The verification queue at size: oldest first, filters with counts, pages, and a confirmation
before "approve all" that says what it includes (issue 16)."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coklit import selectors
from coklit.models import CoklitEvent
from tests.coklit.workflow import make_voter, record, record_baru, record_conflict

pytestmark = pytest.mark.django_db


def ago(**kw):
    return timezone.now() - dt.timedelta(**kw)


def queue_url(world, **query):
    url = reverse("coklit-queue", args=[world.village.code])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def names(html: str) -> list[str]:
    return re.findall(r'<td class="voter"[^>]*><b>([^<]+)</b>', html)


def test_the_oldest_result_comes_first_and_says_how_long_it_waited(world, login):
    record(make_voter(world.tps1, nama="Baru saja"), "TMS", tms_reason=4, recorded_at=ago(hours=1))
    record(make_voter(world.tps2, nama="Lama"), "TMS", tms_reason=5, recorded_at=ago(days=3))
    record(make_voter(world.tps1, nama="Kemarin"), "TMS", tms_reason=2, recorded_at=ago(days=1))
    html = login(world.pps).get(queue_url(world)).text
    assert names(html) == ["Lama", "Kemarin", "Baru saja"]
    assert "menunggu 3\xa0hari" in html and "menunggu 1\xa0jam" in html


def test_filters_by_outcome_and_tps_with_a_count_for_each(world, login):
    record(make_voter(world.tps1, nama="T1"), "TMS", tms_reason=4)
    record(make_voter(world.tps2, nama="T2"), "TMS", tms_reason=1, note="surat kematian")
    record(make_voter(world.tps1, nama="U1"), changes={"rt": "004"})
    record_baru(world.tps2, nama="B2")
    record_conflict(
        make_voter(world.tps1, nama="K1"), {"outcome": "MS"}, {"outcome": "TMS", "tms_reason": 5}
    )
    client = login(world.pps)
    html = client.get(queue_url(world)).text
    assert sorted(names(html)) == ["B2", "K1", "T1", "T2", "U1"]
    counts = dict(re.findall(r'name="hasil" value="(\w*)"[^>]*> [^<]+ <b>(\d+)</b>', html))
    assert counts == {"": "5", "tms": "2", "baru": "1", "ubah": "1", "konflik": "1"}
    assert sorted(names(client.get(queue_url(world, hasil="tms")).text)) == ["T1", "T2"]
    assert names(client.get(queue_url(world, hasil="konflik")).text) == ["K1"]
    by_tps = client.get(queue_url(world, tps=world.tps2.code)).text
    assert sorted(names(by_tps)) == ["B2", "T2"]
    assert f'<option value="{world.tps2.code}" selected>' in by_tps
    counts = dict(re.findall(r'name="hasil" value="(\w*)"[^>]*> [^<]+ <b>(\d+)</b>', by_tps))
    assert counts == {"": "2", "tms": "1", "baru": "1", "ubah": "0", "konflik": "0"}
    # Filters from another village or made up are ignored, never an error.
    other = client.get(queue_url(world, tps=world.tps_panarung.code, hasil="x", sesudah="zz"))
    assert other.status_code == 200 and len(names(other.text)) == 5


def test_htmx_gets_the_list_alone(world, login):
    record(make_voter(world.tps1), "TMS", tms_reason=4)
    html = (
        login(world.pps)
        .get(queue_url(world, hasil="tms"), headers={"HX-Request": "true", "HX-Target": "queue"})
        .text
    )
    assert html.lstrip().startswith('<section id="queue"') and "<html" not in html


def test_pages_follow_each_other_without_gaps_or_repeats(world, login, monkeypatch):
    monkeypatch.setattr(selectors, "QUEUE_PAGE_SIZE", 3)
    same_time = ago(days=2)
    for i in range(7):
        at = same_time if i < 4 else ago(days=1, minutes=i)  # ties are ordered by id
        record(make_voter(world.tps1, nama=f"P{i}"), "TMS", tms_reason=4, recorded_at=at)
    client = login(world.pps)
    seen, url, pages = [], queue_url(world), 0
    while url:
        html = client.get(url).text
        seen += names(html)
        pages += 1
        found = re.search(r'<a href="([^"]+)"[^>]*>3 berikutnya', html)
        url = found.group(1).replace("&amp;", "&") if found else ""
    assert pages == 3 and sorted(seen) == [f"P{i}" for i in range(7)] and len(set(seen)) == 7
    assert seen[:4] == ["P0", "P1", "P2", "P3"]


def test_a_page_costs_the_same_queries_for_a_short_and_a_long_queue(world, login, monkeypatch):
    monkeypatch.setattr(selectors, "QUEUE_PAGE_SIZE", 3)
    client = login(world.pps)
    for _i in range(3):
        record(make_voter(world.tps1), "TMS", tms_reason=4)
    with CaptureQueriesContext(connection) as short:
        client.get(queue_url(world))
    for _i in range(12):
        record(make_voter(world.tps2), "TMS", tms_reason=4)
        record_baru(world.tps1)
    with CaptureQueriesContext(connection) as long:
        html = client.get(queue_url(world)).text
    assert len(names(html)) == 3
    assert len(long) == len(short)


def test_approve_all_asks_first_and_says_what_it_includes(world, login):
    t1 = record(make_voter(world.tps1), "TMS", tms_reason=1, note="surat kematian")
    t4 = record(make_voter(world.tps1), "TMS", tms_reason=4)
    t4b = record(make_voter(world.tps1), "TMS", tms_reason=4)
    b = record_baru(world.tps1)
    u = record(make_voter(world.tps1), changes={"rt": "004"})
    _, conflict = record_conflict(
        make_voter(world.tps1), {"outcome": "MS"}, {"outcome": "TMS", "tms_reason": 5}
    )
    client = login(world.pps)
    page = client.get(queue_url(world, tps=world.tps1.code)).text
    listed = re.findall(r'<input type="hidden" name="event" value="([^"]+)">', page)
    assert len(listed) == 5 and str(conflict.pk) not in listed
    assert "Setujui 5 hasil yang tampil (kecuali konflik)" in page

    url = reverse("coklit-queue-approve-all", args=[world.tps1.code])
    ask = client.post(url, {"event": listed + [str(conflict.pk)]})
    assert ask.status_code == 200
    html = ask.text
    assert "Setujui 5 hasil di TPS 001?" in html
    rows = dict(re.findall(r"<tr><td>([^<]+)</td><td class=\"num\">(\d+)</td></tr>", html))
    assert rows == {
        "TMS 1 · Meninggal": "1",
        "TMS 4 · Pindah domisili": "2",
        "Baru": "1",
        "MS (ubah)": "1",
    }
    assert CoklitEvent.objects.filter(verification="approved").count() == 0

    done = client.post(url, {"event": listed, "confirm": "1"})
    assert done.status_code == 302 and done["Location"].endswith(f"?tps={world.tps1.code}")
    approved = set(CoklitEvent.objects.filter(verification="approved").values_list("pk", flat=1))
    assert approved == {t1.pk, t4.pk, t4b.pk, b.pk, u.pk}


def test_approve_all_without_listed_results_approves_nothing(world, login):
    e = record(make_voter(world.tps1), "TMS", tms_reason=4)
    url = reverse("coklit-queue-approve-all", args=[world.tps1.code])
    response = login(world.pps).post(url, {"confirm": "1"})
    assert response.status_code == 302
    e.refresh_from_db()
    assert e.verification == "pending"


def test_only_the_pps_is_asked_and_outsiders_get_404(world, login):
    e = record(make_voter(world.tps1), "TMS", tms_reason=4)
    url = reverse("coklit-queue-approve-all", args=[world.tps1.code])
    assert login(world.ppk).post(url, {"event": [str(e.pk)]}).status_code == 403
    assert login(world.pps_panarung).post(url, {"event": [str(e.pk)]}).status_code == 404
    page = login(world.ppk).get(queue_url(world, tps=world.tps1.code)).text
    assert "setujui-semua" not in page


def test_the_masked_nik_is_shown_once_per_result(world, login):
    v = make_voter(world.tps1, nik="6271014101900001")
    record(v, "TMS", tms_reason=4)
    html = login(world.pps).get(queue_url(world)).text
    assert html.count("6271**********01") == 1
