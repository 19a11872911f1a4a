import pytest
from django.test import Client

from tests.base import PASSWORD

pytestmark = pytest.mark.django_db


def test_a_user_lands_on_their_area(world, login):
    response = login(world.pps).get("/")
    assert response.status_code == 302 and response["Location"] == "/wilayah/62.71.01.1001/"


def test_login_page_speaks_indonesian(client):
    response = client.get("/masuk/")
    assert "Kata sandi" in response.content.decode()


def test_a_wrong_password_says_what_to_do(world, client):
    response = client.post("/masuk/", {"username": world.pps.username, "password": "salah"})
    assert response.status_code == 200
    assert "Nama pengguna atau kata sandi salah" in response.content.decode()


def test_failed_logins_are_throttled(world, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/masuk/", {"username": world.pps.username, "password": "salah"})
    # Locked out now, even with the right password, with a message that says what to do.
    response = client.post("/masuk/", {"username": world.pps.username, "password": PASSWORD})
    assert response.status_code == 429
    assert "Tunggu 15 menit" in response.content.decode()


def test_the_lockout_is_per_user(world, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/masuk/", {"username": world.pps.username, "password": "salah"})
    response = client.post("/masuk/", {"username": world.kpu.username, "password": PASSWORD})
    assert response.status_code == 302


def test_healthz_answers_when_the_database_does(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_english_is_available(world, login):
    client = login(world.pps)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get("/wilayah/62.71.01.1001/")
    assert 'lang="en"' in response.content.decode()


def test_indonesian_is_the_default_whatever_the_browser_says(world, login):
    client = login(world.pps)
    response = client.get("/wilayah/62.71.01.1001/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert 'lang="id"' in response.content.decode()
