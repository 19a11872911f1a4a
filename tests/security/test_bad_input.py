"""Input no officer types but scanners and fuzzers send: never a 500 (found by the fuzz pass).

PostgreSQL text cannot hold a NUL byte, and `str.isdigit()` takes "²", which int() refuses.
"""

import pytest

from kpu.scoping import in_scope
from kpu.services import token_issue

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("code", ["62.71.%00", "62.71.01%00", "62.71.x", "62.71." + "1" * 5000])
def test_a_malformed_area_code_is_404(world, login, code):
    client = login(world.kpu)
    assert client.get(f"/wilayah/{code}/").status_code == 404
    assert client.get(f"/api/v1/progress/{code}").status_code == 404
    token = token_issue(user=world.pantarlih)
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/v1/progress/{world.tps1.code}.%00", headers=bearer).status_code == 404


def test_codes_in_scope_are_real_codes(world):
    assert in_scope(world.kpu, "62.71.01.1001.007")
    assert not in_scope(world.kpu, "62.71.\x00")
    assert not in_scope(world.kpu, "62.71.٠١")  # Arabic-Indic digits are digits to isdigit()


@pytest.mark.parametrize(
    "url",
    [
        "/wilayah/62.71/cari/?q=a%00b",
        "/wilayah/62.71/?tertinggal=%00",
        "/wilayah/62.71.01.1001.001/?status=M%00S",
        "/pengguna/?q=a%00b",
    ],
)
def test_a_nul_byte_in_a_query_is_400(world, login, url):
    assert login(world.kpu).get(url).status_code == 400


def test_a_nul_byte_in_a_form_is_400(world, login):
    from tests.coklit.workflow import make_voter

    voter = make_voter(world.tps1)
    response = login(world.pps).post(f"/pemilih/{voter.pk}/nik/", {"reason": "cek\x00"})
    assert response.status_code == 400


@pytest.mark.parametrize("q", ["TPS ²", "tps ١", "²²", "TPS 7"])
def test_search_takes_any_digits(world, login, q):
    response = login(world.kpu).get("/wilayah/62.71/cari/", {"q": q})
    assert response.status_code == 200


# --- the sync API (found by tests/fuzz/test_sync_fuzz.py and schemathesis) -------------------


@pytest.mark.parametrize(
    "kind,text",
    [("note", "a\x00b"), ("changes", "x\x00"), ("new_voter", "A\x00"), ("note", "x\ud800")],
)
def test_text_postgresql_cannot_store_rejects_the_event(world, kind, text):
    from tests.coklit.conftest import Device, add_voters, event, new_voter

    (voter,) = add_voters(world.tps1, 1)
    device = Device(world.pantarlih)
    e = {
        "note": event(voter, "TMS", tms_reason=1, note=text),
        "changes": event(voter, "MS", changes={"alamat": text}),
        "new_voter": event(None, "BARU", new_voter=new_voter(nama=text)),
    }[kind]
    response = device.sync([e, event(voter)])
    assert response.status_code == 200
    first, second = response.json()["results"]
    assert first["status"] == "rejected" and "tidak sah" in first["error"]
    assert second["status"] == "accepted"


def test_an_unprintable_app_version_is_cleaned(world):
    from kpu.models import DeviceToken
    from tests.coklit.conftest import Device, add_voters, event

    (voter,) = add_voters(world.tps1, 1)
    device = Device(world.pantarlih, version="2.1\x00.0\x7f")
    assert device.statuses([event(voter)]) == ["accepted"]
    assert DeviceToken.objects.get(user=world.pantarlih).app_version == "2.1.0"


@pytest.mark.parametrize(
    "field,value,message",
    [
        ("voter", True, "`voter` harus bilangan bulat"),
        ("tms_reason", False, "`tms_reason` 1 sampai 9"),
        ("target_tps", True, "`target_tps`"),
    ],
)
def test_json_booleans_are_not_numbers(world, field, value, message):
    """pydantic took `true` for 1 (schemathesis): a boolean is no number, and the event that
    sends one is rejected with its reason (SPEC 6), not taken as voter 1 or TMS 0."""
    from tests.coklit.conftest import Device, add_voters, event

    (voter,) = add_voters(world.tps1, 1)
    device = Device(world.pantarlih)
    e = event(voter, "TMS", tms_reason=8, target_tps=2) | {field: value}
    response = device.sync([e])
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["status"] == "rejected" and message in result["error"], result


# --- the voter list import (found by tests/fuzz/test_importer_fuzz.py) ----------------------


def _import_one(**cells):
    from coklit.importer import COLUMNS, import_table
    from tests.fuzz.test_importer_fuzz import valid_row

    row = dict(zip(COLUMNS, valid_row(1), strict=True)) | cells
    return import_table([(1, list(COLUMNS)), (2, [row[c] for c in COLUMNS])])


@pytest.mark.parametrize(
    "column,value",
    [("tps", "²"), ("nama", "Ani\x00"), ("alamat", "\x00"), ("village", "62.71.01.1001\x00")],
)
def test_an_import_cell_that_broke_the_import_is_reported(world, column, value):
    from coklit.importer import ImportRejected

    with pytest.raises(ImportRejected) as exc:
        _import_one(**{column: value})
    assert [(e.row, e.column) for e in exc.value.errors] == [(2, column)]


def test_an_imported_name_is_spaced_like_a_synced_one(world):
    from coklit.models import Voter

    _import_one(nama="Ani\xa0 Bungai\t")
    assert Voter.objects.get().nama == "Ani Bungai"
