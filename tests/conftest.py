import pytest
from django.test import Client

from tests.base import PASSWORD, build_world


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def login():
    """A test client logged in as the given user (through the real login form)."""

    def _login(user) -> Client:
        client = Client()
        response = client.post("/masuk/", {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, f"login of {user.username} failed"
        return client

    return _login
