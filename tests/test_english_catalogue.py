"""English is complete: `makemessages -l en` finds nothing untranslated or fuzzy, and the compiled
catalogue answers every message (issue 16).

So a string added later without its English fails here: whoever adds one runs
`python manage.py makemessages -l en`, fills its msgstr in locale/en/LC_MESSAGES/django.po and
runs `python manage.py compilemessages` (docs/UI.md).
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import translation

polib = pytest.importorskip("polib")

ROOT = Path(__file__).resolve().parents[1]
# Everything makemessages reads in the project (tests hold no translatable strings).
SOURCES = ("coklit", "kpu", "templates", "bench", "locale", "manage.py")


@pytest.fixture(scope="module")
def fresh_catalogue(tmp_path_factory) -> "polib.POFile":
    """The English catalogue as makemessages writes it from the code as it is now, in a copy
    of the project (the working tree's own catalogue is left alone)."""
    if not shutil.which("xgettext"):
        reason = "GNU gettext (xgettext) is missing: apt-get install -y gettext"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    copy = tmp_path_factory.mktemp("i18n")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, copy / name)
    run = subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "en", "--no-obsolete", "-v", "0"],
        cwd=copy,
        env={**os.environ, "DJANGO_TESTING": "1"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return polib.pofile(str(copy / "locale" / "en" / "LC_MESSAGES" / "django.po"))


def test_every_message_has_its_english(fresh_catalogue):
    missing = [
        e.msgid
        for e in fresh_catalogue
        if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)
    ]
    assert not missing, (
        f"{len(missing)} messages without English (makemessages -l en, then fill the msgstr in "
        f"locale/en/LC_MESSAGES/django.po and compilemessages): {missing[:20]}"
    )


def test_the_compiled_catalogue_is_up_to_date(fresh_catalogue):
    """django.mo answers what django.po says (compilemessages was run after the last edit)."""
    stale = []
    with translation.override("en"):
        for e in fresh_catalogue:
            if e.obsolete or not e.msgid or not e.translated():
                continue
            if e.msgid_plural:
                got = (
                    translation.npgettext(e.msgctxt, e.msgid, e.msgid_plural, 2)
                    if (e.msgctxt)
                    else translation.ngettext(e.msgid, e.msgid_plural, 2)
                )
                want = e.msgstr_plural[1]
            else:
                got = (
                    translation.pgettext(e.msgctxt, e.msgid)
                    if e.msgctxt
                    else translation.gettext(e.msgid)
                )
                want = e.msgstr
            if got != want:
                stale.append(e.msgid)
    assert not stale, f"run compilemessages: {len(stale)} stale, e.g. {stale[:10]}"
