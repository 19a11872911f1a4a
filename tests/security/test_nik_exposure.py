"""No full NIK or NKK in any page, partial, export, API answer or log line (SPEC 10).

The 2023 leak of 204 million voter records is why: NIK and NKK are shown as KPU publishes
them (`6271**********01`) everywhere; the one way to a full NIK is the logged reveal (a POST
with a reason, by a PPS, PPK or KPU user in scope).
"""

import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from django.urls import reverse

from tests.security.conftest import NEW_NIK, _client, pages

ROOT = Path(__file__).resolve().parents[2]


def leaks(text: str, secrets: set[str]) -> set[str]:
    """The secrets found in `text`: whole, or their 10 masked middle digits."""
    return {s for s in secrets if s in text or s[4:14] in text}


def test_no_page_export_or_api_answer_shows_a_full_nik(city, caplog):
    caplog.set_level(logging.DEBUG)
    walked = pages(city)
    secrets = city.secrets()
    assert len(secrets) > 20
    found = {label: sorted(leaks(text, secrets)) for label, _r, text in walked}
    found = {k: v for k, v in found.items() if v}
    assert not found, f"full NIK/NKK in: {found}"
    # ... and nothing was logged with one either (django.request, the app, the database).
    assert not leaks(caplog.text, secrets)
    # The walk did see the masked forms, so the check above looked at the right places.
    masked = f"{NEW_NIK[:4]}**********{NEW_NIK[-2:]}"
    assert any(masked in text for _l, _r, text in walked)


def test_the_reveal_is_the_one_exception_and_the_check_would_see_it(city):
    voter = city.voters[0]
    pps = _client(city.world.pps)
    response = pps.post(reverse("coklit-nik-reveal", args=[voter.pk]), {"reason": "cek KTP"})
    assert response.status_code == 200
    assert leaks(response.content.decode(), {voter.nik}) == {voter.nik}


def test_request_logging_leaves_out_query_strings(city, caplog):
    """A NIK typed into a search box or pasted into a URL does not reach django.request's log."""
    nik = city.voters[0].nik
    caplog.set_level(logging.DEBUG)
    pps = _client(city.world.pps)
    assert pps.get(f"/wilayah/62.71.02/?q={nik}").status_code == 404
    assert pps.get(f"/tidak-ada/?nik={nik}").status_code == 404
    assert pps.post(f"/pleno/{city.world.village.code}/return/?nik={nik}").status_code == 403
    assert caplog.records, "django.request logs 4xx answers: the test must see them"
    assert nik not in caplog.text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_gunicorn_access_log_leaves_out_query_and_referer(tmp_path):
    """gunicorn as documented (`gunicorn kpu.wsgi`, gunicorn.conf.py from the checkout)."""
    nik = "6271014101900001"
    port = _free_port()
    log = tmp_path / "access.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env |= {"DJANGO_DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "kpu.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--access-logfile",
            str(log),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}/healthz?nik={nik}"
        request = urllib.request.Request(url, headers={"Referer": f"http://x/cari/?q={nik}"})
        for _ in range(100):
            try:
                with urllib.request.urlopen(request, timeout=5) as response:
                    assert response.status == 200
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError(server.stderr.read().decode() if server.poll() else "no answer")
        for _ in range(50):
            if log.exists() and "/healthz" in log.read_text():
                break
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=10)
    line = log.read_text()
    assert re.search(r'"GET /healthz HTTP/1.1" 200', line), line
    assert nik not in line
