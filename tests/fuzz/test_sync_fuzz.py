"""Hypothesis against the sync endpoint with real voters: whatever a device sends, the answer is
a 200 with one result per event (or a 4xx for a malformed body), never a 500, and every figure
still equals a recount from the voter rows afterwards."""

import datetime as dt
import json

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coklit import figures
from coklit.models import CoklitEvent
from coklit.voter_fields import CHANGEABLE
from tests.coklit.conftest import SYNC_URL, Device, add_voters, new_voter

pytestmark = pytest.mark.django_db

# Any text, lone surrogates included (JSON can carry "\ud800"), and often the characters that
# break things: NUL (PostgreSQL text refuses it), a surrogate, digits of other scripts.
ANY_TEXT = st.one_of(
    st.text(st.characters(exclude_categories=()), max_size=30),
    st.text(st.sampled_from(["\x00", "\ud800", "a", " ", "é", "²", "٣", "\n"]), max_size=8),
)
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=6,
)
FIELD_VALUE = st.one_of(
    JSON_VALUE,
    st.sampled_from(["L", "P", "B", "S", "1,6", "007", "1990-01-01", "31-12-1999", ""]),
    st.from_regex(r"\A[0-9]{16}\Z"),
)


def when():
    now = timezone.now()
    return st.one_of(
        st.integers(-60 * 24 * 400, 60 * 24 * 2).map(
            lambda m: (now + dt.timedelta(minutes=m)).isoformat()
        ),
        st.sampled_from(["2024-07-01T09:30:00", "2024-13-01T00:00:00", "kemarin", ""]),
        ANY_TEXT,
    )


def recent():
    now = timezone.now()
    return st.integers(-60 * 24 * 30, 60).map(lambda m: (now + dt.timedelta(minutes=m)).isoformat())


def valid_events(voter_ids):
    """Events a sane device sends, with free text anywhere text is allowed."""
    base = {"id": st.uuids().map(str), "recorded_at": recent()}
    voter = st.sampled_from(voter_ids)
    return st.one_of(
        st.fixed_dictionaries({**base, "voter": voter, "outcome": st.just("MS")}),
        st.fixed_dictionaries(
            {
                **base,
                "voter": voter,
                "outcome": st.just("MS"),
                "changes": st.fixed_dictionaries(
                    {},
                    optional={
                        "nama": ANY_TEXT,
                        "alamat": ANY_TEXT,
                        "tempat_lahir": ANY_TEXT,
                        "rt": st.from_regex(r"\A[0-9]{1,3}\Z"),
                        "nik": st.from_regex(r"\A[0-9]{16}\Z"),
                        "disabilitas": st.sampled_from(["", "1", "1,6", [2, 3]]),
                        "ktp_el": st.booleans(),
                    },
                ),
            }
        ),
        st.fixed_dictionaries(
            {
                **base,
                "voter": voter,
                "outcome": st.just("TMS"),
                "tms_reason": st.integers(1, 9),
                "note": ANY_TEXT,
            }
        ).map(lambda e: e | {"target_tps": 2} if e["tms_reason"] == 8 else e),
        st.fixed_dictionaries(
            {
                **base,
                "voter": st.none(),
                "outcome": st.just("BARU"),
                "note": ANY_TEXT,
                "new_voter": st.fixed_dictionaries(
                    {"nama": ANY_TEXT, "alamat": ANY_TEXT, "nik": st.from_regex(r"\A[0-9]{16}\Z")}
                ).map(lambda d: new_voter() | d),
            }
        ),
    )


def events(voter_ids):
    """Mostly sane events, some with a field or two replaced by anything at all."""
    junk = st.dictionaries(
        st.sampled_from(
            ["id", "voter", "outcome", "tms_reason", "target_tps", "note", "changes", "new_voter"]
            + ["recorded_at"]
        ),
        st.one_of(
            FIELD_VALUE, when(), st.dictionaries(st.sampled_from([*CHANGEABLE, "x"]), FIELD_VALUE)
        ),
        max_size=2,
    )
    return st.tuples(valid_events(voter_ids), st.one_of(st.just({}), st.just({}), junk)).map(
        lambda t: t[0] | t[1]
    )


@pytest.fixture
def setup(world):
    voters = add_voters(world.tps1, 6)
    return Device(world.pantarlih), [v.pk for v in voters]


def test_any_batch_is_answered_and_the_figures_hold(world, setup):
    device, voter_ids = setup

    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(batch=st.lists(events(voter_ids), max_size=8), version=ANY_TEXT)
    def run(batch, version):
        device.version = version.encode("latin-1", "ignore").decode("latin-1")[:60] or "1"
        response = device.client.post(
            SYNC_URL,
            data=json.dumps({"events": batch}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {device.token}", "X-App-Version": device.version},
        )
        assert response.status_code in (200, 422), response.content
        if response.status_code == 200:
            results = response.json()["results"]
            assert len(results) == len(batch)
            assert {r["status"] for r in results} <= {"accepted", "duplicate", "rejected"}

    run()
    # The fuzz reached the database, not only the checks.
    assert CoklitEvent.objects.filter(tps=world.tps1).count() > 5
    assert figures.mismatches(code=world.tps1.parent.code) == {}
