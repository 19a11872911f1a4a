"""The API around the sync: tokens, the TPS list, progress in scope, and 4xx for bad input.

Scope of these URLs (they take other arguments than one area code) is tested here, not in
tests/test_permissions.py: a token sees its own TPS only, a session sees its own area only.
"""

import json

import pytest
from django.test import Client
from django.utils import timezone

from coklit.models import TpsFigures, Voter
from kpu.models import DeviceToken
from kpu.services import pemilihan_create
from tests.coklit.conftest import SYNC_URL, add_voters, event, new_voter

pytestmark = pytest.mark.django_db


def pemilihan(area, **kw):
    import datetime as dt

    today = timezone.localdate()
    return pemilihan_create(
        regency=area,
        name="Pemilihan Serentak",
        voting_day=today + dt.timedelta(days=90),
        coklit_start=today - dt.timedelta(days=10),
        coklit_end=today + dt.timedelta(days=20),
    )[0]


# --- tokens ---------------------------------------------------------------------------------


def test_a_token_lists_its_own_tps_with_masked_nik(world, device):
    voters = add_voters(world.tps1, 2)
    add_voters(world.tps2, 1)
    device.statuses([event(voters[0], "TMS", tms_reason=8, target_tps=2)])
    response = device.get(f"/api/v1/tps/{world.tps1.code}/pemilih")
    assert response.status_code == 200
    body = response.json()
    assert (body["tps"], body["name"], body["count"]) == (world.tps1.code, "TPS 001", 2)
    first = body["pemilih"][0]
    assert first["id"] == voters[0].pk and first["nama"] == "Pemilih 0"
    assert first["nik"] == "6271**********00" and first["nkk"] == "6271**********01"
    # The age, not the birth date: the two with the masked NIK narrowed it to ~100 candidates.
    assert "tanggal_lahir" not in first and isinstance(first["umur"], int)
    assert (first["status"], first["tms_reason"], first["target_tps"]) == ("TMS", 8, 2)
    assert body["pemilih"][1]["status"] == "BELUM"
    assert "62710141019" not in response.content.decode()


@pytest.mark.parametrize("tps", ["tps2", "tps_panarung", "village"])
def test_a_token_gets_404_for_any_other_list(world, device, tps):
    add_voters(getattr(world, tps), 1) if tps != "village" else None
    response = device.get(f"/api/v1/tps/{getattr(world, tps).code}/pemilih")
    assert response.status_code == 404
    assert response.json() == {"detail": "Tidak ditemukan."}


def test_using_a_token_records_when_and_which_app(world, device):
    device.version = "3.0.0-beta"
    device.get(f"/api/v1/tps/{world.tps1.code}/pemilih")
    token = DeviceToken.objects.get(user=world.pantarlih)
    assert token.app_version == "3.0.0-beta" and token.last_used_at is not None


def test_a_revoked_token_is_refused_with_a_clear_message(world, device):
    DeviceToken.objects.filter(user=world.pantarlih).update(revoked_at=timezone.now())
    response = device.sync([])
    assert response.status_code == 401
    assert "sudah dicabut" in response.json()["detail"]


@pytest.mark.parametrize(
    "header,message",
    [
        (None, "Perlu token perangkat"),
        ("Bearer not-a-token", "Token tidak dikenal"),
        ("Basic cGFudGFybGloOng=", "Perlu token perangkat"),
    ],
)
def test_without_a_valid_token_there_is_no_access(world, client, header, message):
    headers = {"Authorization": header} if header else {}
    for response in (
        client.get(f"/api/v1/tps/{world.tps1.code}/pemilih", headers=headers),
        client.post(SYNC_URL, "{}", content_type="application/json", headers=headers),
        client.get(f"/api/v1/progress/{world.tps1.code}", headers=headers),
    ):
        assert response.status_code == 401
        assert message in response.json()["detail"]


def test_a_deactivated_pantarlih_token_is_refused(world, device):
    world.pantarlih.is_active = False
    world.pantarlih.save()
    response = device.sync([])
    assert response.status_code == 401 and "tidak aktif" in response.json()["detail"]


def test_a_session_cannot_sync(world, login):
    response = login(world.pantarlih).post(
        SYNC_URL, json.dumps({"events": []}), content_type="application/json"
    )
    assert response.status_code == 401


# --- sync: bad requests are 4xx with a message, never 500 -----------------------------------


def test_more_than_1000_events_are_refused(world, device):
    (v,) = add_voters(world.tps1, 1)
    events = [event(v) for _ in range(1001)]
    response = device.sync(events)
    assert response.status_code == 422
    assert "paling banyak 1.000 kejadian" in response.json()["detail"]
    assert TpsFigures.objects.get(tps=world.tps1).results == 0
    assert device.statuses(events[:1000]).count("accepted") == 1000


@pytest.mark.parametrize(
    "body,status,message",
    [
        ('{"events": [', 400, "bukan JSON yang sah"),
        ("", 422, "isi permintaan kosong"),
        ("[]", 422, "Data tidak valid"),
        ('{"events": {}}', 422, "events: harus daftar"),
        ('{"events": [], "extra": 1}', 422, "extra: kolom tidak dikenal"),
    ],
)
def test_malformed_requests_get_a_4xx_with_a_message(world, device, body, status, message):
    response = device.sync(None, raw=body)
    assert response.status_code == status, response.content
    assert message in response.json()["detail"]


@pytest.mark.parametrize(
    "bad,message",
    [
        ({"foo": 1}, "Kolom tidak dikenal: foo"),
        ({"recorded_at": None}, "`recorded_at` harus waktu ISO 8601"),
        ({"outcome": "TMS", "tms_reason": "dua"}, "perlu `tms_reason` 1 sampai 9"),
        ({"voter": "12"}, "`voter` harus bilangan bulat"),
        ({"voter": True}, "`voter` harus bilangan bulat"),
        ({"id": 1}, "`id` harus UUID"),
        ({"note": ["surat"]}, "`note` harus berupa teks"),
        ({"changes": [1]}, "`changes` harus berupa objek"),
        ({"outcome": "BARU", "voter": None, "new_voter": "Siti"}, "`new_voter` harus berupa objek"),
        ({"outcome": "TMS", "tms_reason": 8, "target_tps": True}, "perlu `target_tps`"),
    ],
)
def test_a_malformed_event_is_rejected_alone_and_the_batch_stands(world, device, bad, message):
    """SPEC 6: a bad value in one event rejects that event, with its reason; the others apply."""
    first, second = add_voters(world.tps1, 2)
    good = event(first, "TMS", tms_reason=4)
    malformed = event(second) | bad
    response = device.sync([good, malformed])
    assert response.status_code == 200, response.content
    accepted, rejected = response.json()["results"]
    assert accepted == {"id": good["id"], "status": "accepted", "error": ""}
    assert rejected["status"] == "rejected" and message in rejected["error"], rejected
    assert Voter.objects.get(pk=first.pk).status == Voter.Status.TMS
    assert Voter.objects.get(pk=second.pk).status == Voter.Status.BELUM


def test_a_non_object_event_is_rejected_alone(world, device):
    (voter,) = add_voters(world.tps1, 1)
    good = event(voter)
    response = device.sync([7, good])
    assert response.status_code == 200, response.content
    assert [r["status"] for r in response.json()["results"]] == ["rejected", "accepted"]
    assert "objek JSON" in response.json()["results"][0]["error"]


def test_a_body_over_the_upload_limit_is_413(world, device, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    (v,) = add_voters(world.tps1, 1)
    response = device.sync([event(v, note="x" * 2000)])
    assert response.status_code == 413 and "terlalu besar" in response.json()["detail"]


def test_a_sync_answers_in_order_with_ids(world, device):
    (v,) = add_voters(world.tps1, 1)
    events = [event(v), event(None, "BARU", new_voter=new_voter()), event(v, outcome="X")]
    response = device.sync(events)
    assert [r["id"] for r in response.json()["results"]] == [e["id"] for e in events]
    assert [r["status"] for r in response.json()["results"]] == [
        "accepted",
        "accepted",
        "rejected",
    ]
    assert response.json()["results"][0]["error"] == ""


# --- progress -------------------------------------------------------------------------------


def test_progress_of_the_tokens_tps(world, device):
    pemilihan(world.regency)
    voters = add_voters(world.tps1, 6)
    device.statuses(
        [event(voters[0]), event(voters[1], changes={"rt": "3"})]
        + [event(v, "TMS", tms_reason=2) for v in voters[2:4]]
        + [event(voters[4], "TMS", tms_reason=9, note="WNA")]
        + [event(None, "BARU", new_voter=new_voter())]
    )
    response = device.get(f"/api/v1/progress/{world.tps1.code}")
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("code", "name", "level", "target", "done", "percent")} == {
        "code": world.tps1.code,
        "name": "TPS 001",
        "level": 5,
        "target": 6,
        "done": 5,
        "percent": 83.3,
    }
    assert (body["ms"], body["ubah"], body["baru"]) == (1, 1, 1)
    assert body["tms"] == {"1": 0, "2": 2, "3": 0, "4": 0, "5": 0, "6": 0, "7": 0, "8": 0, "9": 1}
    assert body["updated_at"].endswith("+07:00")  # Palangka Raya keeps WIB
    assert body["children"] == []


@pytest.mark.parametrize("area", ["tps2", "village", "tps_mimika"])
def test_a_token_sees_no_other_progress(world, device, area):
    response = device.get(f"/api/v1/progress/{getattr(world, area).code}")
    assert response.status_code == 404


def test_a_session_sees_progress_of_its_area_and_children(world, device, login):
    pemilihan(world.regency)
    add_voters(world.tps2, 3)
    (v,) = add_voters(world.tps1, 1)
    device.statuses([event(v)])
    response = login(world.ppk).get(f"/api/v1/progress/{world.district.code}")
    assert response.status_code == 200
    body = response.json()
    assert (body["target"], body["done"], body["percent"], body["tps_count"]) == (4, 1, 25.0, 3)
    children = {c["code"]: c for c in body["children"]}
    assert len(children) == len(world.district.children.all())
    pahandut = children[world.village.code]
    assert (pahandut["kind"], pahandut["target"], pahandut["done"]) == ("Kelurahan", 4, 1)
    assert pahandut["tms"]["1"] == 0 and pahandut["updated_at"].endswith("+07:00")
    assert children["62.71.01.1003"]["updated_at"] is None
    village = login(world.pps).get(f"/api/v1/progress/{world.village.code}").json()
    assert [c["code"] for c in village["children"]] == [world.tps1.code, world.tps2.code]
    assert [c["done"] for c in village["children"]] == [1, 0]


def test_progress_times_follow_the_elections_zone(world, login):
    from kpu.models import Area

    pemilihan(Area.objects.get(code="94.04"))
    body = login(world.kpu_mimika).get("/api/v1/progress/94.04").json()
    assert body["updated_at"].endswith("+09:00")  # Mimika keeps WIT
    assert body["kind"] == "Kabupaten"


@pytest.mark.parametrize(
    "persona,area",
    [
        ("pps", "village_panarung"),
        ("pps", "district"),
        ("ppk", "district_bukit_batu"),
        ("kpu", "tps_mimika"),
        ("pantarlih", "tps2"),
    ],
)
def test_a_session_gets_404_outside_its_area(world, login, persona, area):
    response = login(getattr(world, persona)).get(f"/api/v1/progress/{getattr(world, area).code}")
    assert response.status_code == 404


def test_an_unknown_area_is_404(world, login):
    assert login(world.kpu).get("/api/v1/progress/62.71.99").status_code == 404


# --- the schema -----------------------------------------------------------------------------


def test_the_openapi_schema_names_every_endpoint():
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths) >= {
        "/api/v1/tps/{tps_code}/pemilih",
        "/api/v1/coklit/sync",
        "/api/v1/progress/{code}",
    }
    schemas = response.json()["components"]["schemas"]
    assert schemas["SyncIn"]["properties"]["events"]["maxItems"] == 1000
    # Each event is documented in full, though the server checks it event by event.
    assert schemas["SyncIn"]["properties"]["events"]["items"]["additionalProperties"] is False


def test_the_docs_are_served_from_the_project_not_a_cdn():
    response = Client().get("/api/v1/docs")
    assert response.status_code == 200
    assert b"/static/ninja/swagger-ui-bundle.js" in response.content
    assert b"cdn" not in response.content.lower()
