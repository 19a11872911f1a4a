import pytest
from django.test import Client

from tests.base import build_world


@pytest.fixture(autouse=True)
def _fast_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def login():
    """A test client logged in as the given user.

    A session made directly (force_login): the login form itself, its lockout and its messages
    are tested in tests/kpu/test_login.py, and posting it again before every test only cost
    time. The form refuses an inactive account, and so does this.
    """

    def _login(user) -> Client:
        assert user.is_active, f"login of {user.username} failed"
        client = Client()
        client.force_login(user)
        return client

    return _login
