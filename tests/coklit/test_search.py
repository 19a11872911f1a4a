"""Search of villages and TPS by name or code, never leaving the user's scope."""

import pytest

pytestmark = pytest.mark.django_db


def search(client, code, q, **headers):
    return client.get(f"/wilayah/{code}/cari/", {"q": q}, **headers)


def test_it_finds_villages_by_name_and_code(world, login):
    client = login(world.kpu)
    html = search(client, world.regency.code, "panarung").content.decode()
    assert world.village_panarung.code in html
    html = search(client, world.regency.code, "62.71.01.1001").content.decode()
    assert world.village.code in html and world.tps1.code in html


def test_it_finds_tps_by_number(world, login):
    html = search(login(world.ppk), world.district.code, "TPS 2").content.decode()
    assert world.tps2.code in html and world.tps1.code not in html


def test_htmx_gets_only_the_results(world, login):
    response = search(login(world.kpu), world.regency.code, "panarung", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and world.village_panarung.code in html
    assert "HX-Request" in response["Vary"]


def test_a_pps_cannot_find_another_villages_tps(world, login):
    client = login(world.pps)
    html = search(client, world.village.code, world.tps_panarung.code).content.decode()
    assert f'href="/wilayah/{world.tps_panarung.code}/"' not in html
    html = search(client, world.village.code, "Panarung").content.decode()
    assert f'href="/wilayah/{world.village_panarung.code}/"' not in html
    # The same searches from the kecamatan do find them: the scope, not the query, hid them.
    html = search(login(world.ppk), world.district.code, world.tps_panarung.code).content.decode()
    assert f'href="/wilayah/{world.tps_panarung.code}/"' in html
    assert search(client, world.village_panarung.code, "TPS").status_code == 404
    assert search(client, world.district.code, "TPS").status_code == 404


def test_a_short_query_finds_nothing(world, login):
    html = search(login(world.kpu), world.regency.code, "p").content.decode()
    assert "Tidak ada" not in html and "<li>" not in html
