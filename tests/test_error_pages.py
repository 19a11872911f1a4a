"""Error pages speak Indonesian, in the site's layout (outsiders see the 404 everywhere)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_an_outsider_gets_an_indonesian_404_page(world, login):
    response = login(world.pps).get(reverse("coklit-area", args=[world.village_panarung.code]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "Not Found" not in html and "requested resource" not in html
    assert "Halaman tidak ditemukan" in html and 'lang="id"' in html
    # No hint that the area exists: the same answer as for a code that does not.
    other = login(world.pps).get(reverse("coklit-area", args=["99.99.99.9999"]))
    assert other.status_code == 404 and "Halaman tidak ditemukan" in other.content.decode()
    assert world.village_panarung.name not in html


def test_the_server_error_page_is_indonesian(client):
    from django.template import loader

    html = loader.get_template("500.html").render({})
    assert "Terjadi kesalahan" in html and "Server Error" not in html


def test_the_demo_shows_the_plain_404_page_not_djangos_debug_page(world, login, settings):
    """The demo runs with DJANGO_DEBUG=1: an out-of-scope page is still the plain page."""
    settings.DEBUG = True
    client = login(world.pps)
    for url in (
        reverse("coklit-area", args=[world.village_panarung.code]),  # a view's Http404
        "/tidak-ada/",  # no URL pattern at all
    ):
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 404, url
        assert "Halaman tidak ditemukan" in html and "Page not found" not in html, url
        assert "URLconf" not in html
    # The API's JSON 404 is left alone.
    api = client.get("/api/v1/progress/99.99")
    assert api.status_code == 404 and api["Content-Type"].startswith("application/json")
