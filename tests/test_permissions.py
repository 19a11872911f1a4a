"""Every URL × persona: own area and a child are served, a sibling and the parent are 404.

A new URL without a row here fails `test_every_url_has_a_row`: scope is part of every feature.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

# URLs outside the scope rules: public, Django's own, or the API (API_SCOPE below).
UNSCOPED = {"home", "healthz", "login", "logout", "set_language", "api"}
# One's own password (Ganti kata sandi): no area and no other account in it; every logged-in
# user may use it (tests/security/test_accounts_hardening.py).
UNSCOPED |= {"kpu-password-change"}
# Accounts and devices (/pengguna/): no area code in the URL (user and token ids, or none);
# their scope by role and area is tested in tests/kpu/test_accounts.py, test_devices.py and
# test_roster_import.py.
UNSCOPED |= {
    "kpu-accounts",
    "kpu-account-create",
    "kpu-account",
    "kpu-account-edit",
    "kpu-account-deactivate",
    "kpu-account-activate",
    "kpu-account-reset-password",
    "kpu-account-devices",
    "kpu-device-revoke",
    "kpu-roster-import",
    "kpu-roster-template",
}

# url name -> (method, levels the URL exists for (None: all), roles allowed to use it (None: all))
MATRIX: dict[str, tuple[str, set[int] | None, set[str] | None]] = {
    "coklit-area": ("get", None, None),
    "coklit-area-search": ("get", None, None),
    # Verification (SPEC 8): PPK and KPU may look at a village's queue.
    "coklit-queue": ("get", {4}, None),
    "coklit-queue-approve-all": ("post", {5}, {"pps"}),
    # The plenos (SPEC 8): every level with a pleno; who may act is PLENO_ACTIONS' below.
    "coklit-pleno": ("get", {2, 3, 4}, None),
    # Recaps are signed by KPU, PPK/PPD and PPS: regency, district and village (a TPS is 404).
    "coklit-rekap-xlsx": ("get", {2, 3, 4}, None),
    "coklit-rekap-cetak": ("get", {2, 3, 4}, None),
    # The DPS list is posted per TPS: a TPS or a village (a sheet per TPS); other levels 404.
    "coklit-dps-xlsx": ("get", {4, 5}, None),
    # Coklit progress per child, as the progress API counts (SPEC 9): where a recap is.
    "coklit-progres-xlsx": ("get", {2, 3, 4}, None),
    # The change list read out in the PPS's pleno: a village (a sheet per TPS) or one TPS.
    "coklit-perubahan-xlsx": ("get", {4, 5}, None),
    # Results from paper (SPEC 6b), per TPS: anyone in scope downloads the masked worksheet; the
    # upload page and the entry page are the PPS's (their POSTs: tests/coklit/test_paper.py).
    "coklit-model-a-xlsx": ("get", {5}, None),
    "coklit-model-a-upload": ("get", {5}, {"pps"}),
    "coklit-entry": ("get", {5}, {"pps"}),
    # Responses and saran perbaikan of a village (SPEC 8b): anyone in scope reads them.
    "coklit-tanggapan": ("get", {4}, None),
}

# POST URLs keyed by an event or a voter id (not an area code), scoped through the event's TPS
# or the voter's village: tests/coklit/test_verification.py
# (test_only_the_pps_of_the_village_verifies) and tests/coklit/test_nik_reveal.py prove them
# against every persona.
UNSCOPED |= {"coklit-event-verify", "coklit-nik-reveal"}
# Answers to a response, keyed by its id: tests/coklit/test_tanggapan.py
# (test_only_the_pps_of_the_village_answers) proves them against every persona.
UNSCOPED |= {"coklit-tanggapan-accept", "coklit-tanggapan-reject"}


def _names(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            if p.namespace in ("admin", "api") or getattr(p, "app_name", None) == "admin":
                continue
            yield from _names(p.url_patterns)
        elif isinstance(p, URLPattern) and p.name:
            yield p.name


# The pleno actions: who may act at which level comes from the transition table itself
# (coklit.plenos.TRANSITIONS), in test_the_pleno_actions_follow_the_transition_table.
PLENO_ACTIONS = {f"coklit-pleno-{a}": a for a in ("hold", "return", "reopen")}


def test_every_url_has_a_row():
    named = set(_names(get_resolver().url_patterns))
    missing = sorted(named - set(MATRIX) - set(PLENO_ACTIONS) - UNSCOPED)
    assert not missing, f"URLs without a row in the permission matrix: {missing}"


def _cases(world):
    """(persona, target area, visible?) for each persona against own, child, sibling, parent."""
    w = world
    return [
        ("kpu", w.kpu, w.regency, True),
        ("kpu", w.kpu, w.district, True),
        ("kpu", w.kpu, w.tps1, True),
        ("kpu", w.kpu, w.tps_mimika, False),
        ("kpu", w.kpu, w.tps_mimika.parent, False),
        ("ppk", w.ppk, w.district, True),
        ("ppk", w.ppk, w.village, True),
        ("ppk", w.ppk, w.district_bukit_batu, False),
        ("ppk", w.ppk, w.tps_bukit_batu, False),
        ("ppk", w.ppk, w.regency, False),
        ("pps", w.pps, w.village, True),
        ("pps", w.pps, w.tps1, True),
        ("pps", w.pps, w.village_panarung, False),
        ("pps", w.pps, w.tps_panarung, False),
        ("pps", w.pps, w.district, False),
        ("pantarlih", w.pantarlih, w.tps1, True),
        ("pantarlih", w.pantarlih, w.tps2, False),
        ("pantarlih", w.pantarlih, w.village, False),
        # Panwaslu Kelurahan (PKD): reads its village and TPS; acts only on its saran perbaikan.
        ("bawaslu", w.pkd, w.village, True),
        ("bawaslu", w.pkd, w.tps1, True),
        ("bawaslu", w.pkd, w.village_panarung, False),
        ("bawaslu", w.pkd, w.tps_panarung, False),
        ("bawaslu", w.pkd, w.district, False),
    ]


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_scope_of_each_url(world, login, name):
    method, levels, roles = MATRIX[name]
    clients = {}
    for role, user, area, visible in _cases(world):
        if levels is not None and area.level not in levels:
            continue
        client = clients.setdefault(role, login(user))
        url = reverse(name, args=[area.code])
        response = getattr(client, method)(url)
        allowed = visible and (roles is None or role in roles)
        if allowed:
            assert response.status_code in (200, 302), f"{role} {url}: {response.status_code}"
        else:
            assert response.status_code in (404, 403) if visible else response.status_code == 404, (
                f"{role} must not reach {url}: got {response.status_code}"
            )


def test_anonymous_is_sent_to_login(world, client):
    for name in MATRIX:
        response = client.get(reverse(name, args=[world.village.code]))
        assert response.status_code == 302 and response["Location"].startswith("/masuk/")
    for name in PLENO_ACTIONS:
        response = client.post(reverse(name, args=[world.village.code]))
        assert response.status_code == 302 and response["Location"].startswith("/masuk/")


@pytest.mark.parametrize("name", sorted(PLENO_ACTIONS))
def test_the_pleno_actions_follow_the_transition_table(world, login, name):
    """Each persona against own, child, sibling and parent areas: outside its scope 404; in
    scope, a role the table does not give this action at this level 403 (nobody, where the
    level has no such action); the table's role passes scope and role (then a missing field is
    400, an unmet precondition 409: tests/coklit/test_plenos.py walks each to success)."""
    from coklit.models import Pleno
    from coklit.plenos import PLENO_LEVELS, transition_for

    action = PLENO_ACTIONS[name]
    clients = {}
    seen = set()
    for role, user, area, visible in _cases(world) + _pleno_cases(world):
        if area.level not in PLENO_LEVELS:
            continue
        client = clients.setdefault(role, login(user))
        response = client.post(reverse(name, args=[area.code]), {"note": ""})
        transition = transition_for(action, area.level)
        if not visible:
            expected = {404}
        elif transition is not None and transition.role == user.role:
            expected = {400, 409}
        else:
            expected = {403}
        assert response.status_code in expected, (role, area.code, response.status_code)
        seen.add((role, area.level, response.status_code))
    assert not Pleno.objects.filter(state="sudah").exists()
    # Every row of the table for this action was reached by its own role.
    for level in PLENO_LEVELS:
        t = transition_for(action, level)
        if t is not None:
            assert any(r == t.role and lv == level and s != 403 for r, lv, s in seen), t


def _pleno_cases(world):
    """Personas on levels _cases leaves out: the KPU on its regency's village and the PPK on
    a village of another district (its parent area's sibling)."""
    w = world
    return [
        ("kpu", w.kpu, w.village, True),
        ("ppk_bukit_batu", w.ppk_bukit_batu, w.village, False),
        ("kpu_mimika", w.kpu_mimika, w.regency, False),
        ("pps_panarung", w.pps_panarung, w.village, False),
    ]


# --- partials, the API and the admin (issue 8's security pass) ------------------------------

PARTIAL_HEADERS = [
    {"HX-Request": "true"},
    {"HX-Request": "true", "HX-Target": "live"},
    {"HX-Request": "true", "HX-Target": "voters"},
]


@pytest.mark.parametrize("name", sorted(n for n, row in MATRIX.items() if row[0] == "get"))
def test_partials_follow_the_same_scope(world, login, name):
    """htmx can ask any partial directly: an outsider gets 404 whatever the HX headers say."""
    _method, levels, _roles = MATRIX[name]
    clients = {}
    for role, user, area, visible in _cases(world):
        if visible or (levels is not None and area.level not in levels):
            continue
        client = clients.setdefault(role, login(user))
        for headers in PARTIAL_HEADERS:
            response = client.get(reverse(name, args=[area.code]), headers=headers)
            assert response.status_code == 404, f"{role} {name} {area.code} {headers}"


# Every API operation and the test of its scope in tests/coklit/ (a token: its own TPS; a
# session: its area), besides test_api_answers_outsiders_404 below.
API_SCOPE = {
    "/api/v1/tps/{tps_code}/pemilih": "test_api.py::test_a_token_gets_404_for_any_other_list",
    "/api/v1/coklit/sync": (
        "test_sync.py::test_a_voter_of_another_tps_is_rejected_like_an_unknown_one"
    ),
    "/api/v1/progress/{code}": "test_api.py::test_a_session_gets_404_outside_its_area",
}


def test_every_api_operation_has_scope_tests():
    from coklit.api import api

    paths = set(api.get_openapi_schema()["paths"])
    assert paths == set(API_SCOPE), f"API paths without a scope row: {paths ^ set(API_SCOPE)}"


@pytest.mark.parametrize("path", [p for p in API_SCOPE if "{" in p], ids=lambda p: p.split("/")[3])
def test_api_answers_outsiders_404(world, login, path):
    """Each GET of the API against the personas: a session outside its area and a token of
    another TPS get 404; without credentials 401."""
    from kpu.services import token_issue

    def url(area):
        return path.replace("{tps_code}", area.code).replace("{code}", area.code)

    token = token_issue(user=world.pantarlih)
    bearer = {"Authorization": f"Bearer {token}"}
    client = login(world.pantarlih)
    for area in (world.tps2, world.tps_panarung, world.village, world.tps_mimika):
        assert client.get(url(area), headers=bearer).status_code == 404, url(area)
    assert client.get(url(world.tps1), headers=bearer).status_code == 200
    assert client.__class__().get(url(world.tps1)).status_code == 401
    if "{code}" in path:  # progress also takes a session
        for role, user, area, visible in _cases(world):
            if role == "pantarlih":
                continue
            status = login(user).get(url(area)).status_code
            assert status == (200 if visible else 404), (role, url(area), status)


def test_the_admin_is_for_superusers_only(world, login):
    for persona in (world.kpu, world.pps, world.pantarlih):
        response = login(persona).get("/admin/coklit/voter/")
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


# The berita acara of a held pleno (issue 12): 404 while no pleno is held, so its scope is
# proven with every level's pleno held (and its snapshot stored), in the test below.
UNSCOPED |= {"coklit-pleno-berita-acara"}


def test_the_berita_acara_follows_the_same_scope(world, login):
    from django.db import transaction

    from coklit import snapshots
    from coklit.models import PlenoEvent
    from tests.coklit.workflow import set_pleno

    with transaction.atomic():
        for area in {a for _r, _u, a, _v in _cases(world) if a.level in (2, 3, 4)}:
            pleno = set_pleno(area)
            hold = PlenoEvent.objects.create(
                pleno=pleno, action="hold", state_from="belum", state_to="sudah", ba_number="1"
            )
            snapshots.snapshot_take(hold=hold)
    clients = {}
    for role, user, area, visible in _cases(world):
        if area.level not in (2, 3, 4):
            continue
        client = clients.setdefault(role, login(user))
        url = reverse("coklit-pleno-berita-acara", args=[area.code])
        for headers in [{}, *PARTIAL_HEADERS]:
            status = client.get(url, headers=headers).status_code
            assert status == (200 if visible else 404), f"{role} {url} {headers}: {status}"
