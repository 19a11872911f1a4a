"""The berita acara printed through Chromium's PDF: A4 portrait, its annex A4 landscape, nothing
cut (the totals in words and the signatures' names are all in the PDF's text)."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import transaction

from coklit import figures, plenos, terbilang
from coklit.models import TpsFigures
from tests.coklit.workflow import complete_village

pytestmark = pytest.mark.browser
ARTIFACTS = Path(os.environ["BA_ARTIFACTS"]) if os.environ.get("BA_ARTIFACTS") else None

# A4 portrait less the 20 + 15 mm side margins of `@page ba`, in CSS pixels (96 per inch).
PRINTABLE_WIDTH = round((210 - 35) / 25.4 * 96)
ATTENDEES = "\n".join(
    [
        "Siti Aminah Nurhaliza, Ketua PPS",
        "Budi Santoso Wibowo, Anggota PPS",
        "Rina Lestari Handayani, Anggota PPS",
        "Yohana Bungai, Panwaslu Kelurahan",
        "Agus Salim, Pantarlih TPS 001",
    ]
)


def _pages(path) -> list[tuple[int, int]]:
    """(width, height) in points of every page, from pdfinfo."""
    out = subprocess.run(
        ["pdfinfo", "-f", "1", "-l", "99", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return [
        (round(float(w)), round(float(h)))
        for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", out)
    ]


@pytest.fixture
def held(bworld):
    complete_village(bworld)
    # The widest figures a village's cells will meet: six digits, the longest words.
    with transaction.atomic():
        row = TpsFigures.objects.get(tps=bworld.tps1)
        TpsFigures.objects.filter(tps=bworld.tps1).update(
            target_l=177_777, dps_l=177_777, done=177_777 + row.target_p
        )
    plenos.pleno_hold(
        area=bworld.village,
        by=bworld.pps,
        ba_number="077/PL.01.2-BA/6271.01.1001/VIII/2024",
        held_at="2024-08-03 10:00",
        place="Aula Kantor Kelurahan Pahandut, Jl. Cilik Riwut Km 1",
        attendees=ATTENDEES,
        note="Rapat berjalan tertib; tidak ada keberatan dari Panwaslu Kelurahan.",
    )
    return bworld


def test_the_ba_prints_on_a4_portrait_without_cut_text(held, open_as, live_server, tmp_path):
    page = open_as(held.pps)
    page.goto(f"{live_server.url}/pleno/{held.village.code}/berita-acara/")
    assert "BERITA ACARA" in page.locator("h1.ba-title").inner_text()
    page.emulate_media(media="print")
    page.set_viewport_size({"width": PRINTABLE_WIDTH, "height": 900})
    right = page.evaluate(
        "Math.max(...[...document.querySelectorAll('.ba-sheet *')]"
        ".map(e => e.getBoundingClientRect().right))"
    )
    assert right <= PRINTABLE_WIDTH + 1, f"the BA needs {right}px, the page has {PRINTABLE_WIDTH}"
    assert page.locator(".top").is_hidden() and page.locator(".print-actions").is_hidden()
    pdf = tmp_path / "ba.pdf"
    pdf.write_bytes(page.pdf(prefer_css_page_size=True))
    if ARTIFACTS:
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "berita-acara-village.pdf").write_bytes(pdf.read_bytes())
    assert not page.errors, page.errors
    if not shutil.which("pdfinfo"):
        pytest.skip("poppler-utils (pdfinfo, pdftotext) is missing")
    sizes = _pages(pdf)
    assert sizes[0] == (595, 842), sizes  # the BA: A4 portrait, in points
    assert sizes[-1] == (842, 595), sizes  # its annex, the recap: A4 landscape
    text = subprocess.run(
        ["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    f = figures.derive(figures.area_totals(area=held.village))
    for n in (f["dphp_lp"], f["model_a_l"]):
        assert terbilang.ribuan(n) in flat and terbilang.angka(n) in flat, n
    assert terbilang.angka(f["dphp_lp"]).startswith("seratus tujuh puluh tujuh ribu")
    assert "Minggu" not in flat.split("Pada hari ini")[1][:12]  # 3 August 2024 was a Saturday
    assert "Pada hari ini Sabtu tanggal tiga bulan Agustus tahun dua ribu dua puluh empat" in flat
    for name in ("Siti Aminah Nurhaliza", "Budi Santoso Wibowo", "Rina Lestari Handayani"):
        assert name in flat, name
    assert "077/PL.01.2-BA/6271.01.1001/VIII/2024" in flat
    assert "LAMPIRAN 1 BERITA ACARA NOMOR 077/PL.01.2-BA/6271.01.1001/VIII/2024" in flat
