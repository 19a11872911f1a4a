"""Helpers for the sync API tests: voters with their figures, devices with tokens, events."""

import datetime as dt
import json
import uuid

import pytest
from django.db import transaction
from django.test import Client

from coklit import figures
from coklit.models import Voter
from kpu.services import token_issue
from tests.coklit.forms_support import coklit, pemilihan  # noqa: F401  (fixtures)

SYNC_URL = "/api/v1/coklit/sync"


def add_voters(tps, n, **kw):
    """`n` voters on the starting list of `tps`, with the figures they add."""
    made = []
    with transaction.atomic():
        for i in range(n):
            made.append(
                Voter.objects.create(
                    **{
                        "tps": tps,
                        "village": tps.parent,
                        "nkk": "6271010101010001",
                        "nik": f"62710141019{i:05d}",
                        "nama": f"Pemilih {i}",
                        "tanggal_lahir": dt.date(1990, 1, 1),
                        "jenis_kelamin": "LP"[i % 2],
                        "status_kawin": "S",
                    }
                    | kw
                )
            )
        figures.apply(figures.delta([], made))
    return made


class Device:
    """A pantarlih's phone: a token, an app version, and the HTTP calls it makes."""

    def __init__(self, user, version="2.1.0"):
        self.user = user
        self.token = token_issue(user=user)
        self.version = version
        self.client = Client()

    @property
    def headers(self):
        return {"Authorization": f"Bearer {self.token}", "X-App-Version": self.version}

    def sync(self, events, *, raw=None):
        body = raw if raw is not None else json.dumps({"events": events})
        return self.client.post(
            SYNC_URL, data=body, content_type="application/json", headers=self.headers
        )

    def statuses(self, events):
        response = self.sync(events)
        assert response.status_code == 200, response.content
        return [r["status"] for r in response.json()["results"]]

    def get(self, url):
        return self.client.get(url, headers=self.headers)


# Fixed once per session: two events given the same `at` must carry the same time, even when
# the test makes them a second apart (a time taken per call made a comparison flaky).
MORNING = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(hours=2)


def event(voter=None, outcome="MS", *, at=None, **kw):
    """An event as a device sends it; `at` is minutes after a fixed morning."""
    when = MORNING
    if at is not None:
        when += dt.timedelta(minutes=at)
    return {
        "id": str(kw.pop("id", uuid.uuid4())),
        "voter": voter.pk if isinstance(voter, Voter) else voter,
        "outcome": outcome,
        "recorded_at": when.isoformat(),
        **kw,
    }


def new_voter(nik="6271015507990001", **kw):
    return {
        "nkk": "6271010101990001",
        "nik": nik,
        "nama": "Siti Aminah",
        "tanggal_lahir": "1999-07-15",
        "jenis_kelamin": "P",
        "status_kawin": "B",
        "ktp_el": "S",
    } | kw


@pytest.fixture
def device(world):
    return Device(world.pantarlih)


@pytest.fixture
def device2(world):
    """The pantarlih of TPS 002 of the same village."""
    return Device(world.pantarlih2)
