"""Each kind of workbook printed through LibreOffice (as an officer without Excel prints it):
page size, one page wide, page count, and no text below 7 pt (SPEC 9).

Skipped where LibreOffice or poppler is missing; CI installs libreoffice-calc-nogui and
poppler-utils. PRINT_KEEP=/some/dir keeps the PDFs (and PNG pages) to look at.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not (shutil.which("soffice") and shutil.which("pdfinfo") and shutil.which("pdftotext")),
        reason="LibreOffice (soffice) and poppler (pdfinfo, pdftotext) are needed to print",
    ),
]

A4 = (841.9, 595.3)  # landscape, points
F4 = (936.0, 612.0)  # paper size 14, folio: 13 x 8.5 in (330 x 216 mm)


def print_all(files: dict[str, bytes], tmp: Path) -> dict[str, Path]:
    """Convert every workbook to PDF in one LibreOffice run; returns name -> PDF path."""
    for name, content in files.items():
        (tmp / f"{name}.xlsx").write_bytes(content)
    profile = tmp / "lo-profile"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp),
            *[str(tmp / f"{n}.xlsx") for n in files],
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    out = {n: tmp / f"{n}.pdf" for n in files}
    keep = os.environ.get("PRINT_KEEP")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        for n, pdf in out.items():
            shutil.copy(pdf, Path(keep) / pdf.name)
            if shutil.which("pdftoppm"):
                subprocess.run(
                    ["pdftoppm", "-png", "-r", "70", str(pdf), str(Path(keep) / n)], check=True
                )
    return out


def pdf_info(pdf: Path) -> tuple[int, tuple[float, float]]:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    return pages, (w, h)


def smallest_text(pdf: Path) -> float:
    """The size of the smallest text on any page, in points.

    Measured against the page footer, which is set in 8 pt and never scaled: a word box's
    height is a fixed share of the font size, so size = box height * 8 / footer box height.
    """
    html = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True
    ).stdout
    words = re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>', html)
    heights = [float(y2) - float(y1) for y1, y2, _ in words]
    footer = next(float(y2) - float(y1) for y1, y2, w in words if w == "Halaman")
    return min(heights) * 8 / footer


def test_every_kind_prints_one_page_wide_and_legible(coklit, login, tmp_path):
    kpu = login(coklit.kpu)
    files = {
        "rekap-kota": kpu.get("/wilayah/62.71/rekap.xlsx").getvalue(),
        "rekap-kota-f4": kpu.get("/wilayah/62.71/rekap.xlsx?kertas=f4").getvalue(),
        "rekap-kecamatan": kpu.get("/wilayah/62.71.02/rekap.xlsx").getvalue(),
        "rekap-kelurahan": kpu.get("/wilayah/62.71.01.1001/rekap.xlsx").getvalue(),
        "progres-kota": kpu.get("/wilayah/62.71/progres.xlsx").getvalue(),
        "perubahan-kelurahan": kpu.get("/wilayah/62.71.01.1001/perubahan.xlsx").getvalue(),
        "dps-kelurahan": kpu.get("/wilayah/62.71.01.1001/dps.xlsx").getvalue(),
    }
    pdfs = print_all(files, tmp_path)
    expect = {
        # A page per sheet: recap, TMS per reason, disabilities (each one page wide).
        "rekap-kota": (3, A4),
        "rekap-kota-f4": (3, F4),
        "rekap-kecamatan": (3, A4),
        "rekap-kelurahan": (3, A4),
        "progres-kota": (1, A4),
        # A sheet per TPS (two TPS in Pahandut), each on its own page(s).
        "perubahan-kelurahan": (2, A4),
        "dps-kelurahan": (2, A4),
    }
    for name, (pages, size) in expect.items():
        got_pages, got_size = pdf_info(pdfs[name])
        assert got_size == pytest.approx(size, abs=1.5), name
        assert got_pages == pages, name
        assert smallest_text(pdfs[name]) >= 7, name  # nothing below 7 pt on paper
