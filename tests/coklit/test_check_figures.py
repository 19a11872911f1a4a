"""`manage.py check_figures [CODE]`: the guard that every kept figure agrees with a recount."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from coklit.models import TpsFigures, Voter
from tests.coklit.conftest import add_voters, event

pytestmark = pytest.mark.django_db


def run(*args):
    out = StringIO()
    call_command("check_figures", *args, stdout=out)
    return out.getvalue()


def test_it_gives_the_all_clear_after_syncs(world, device):
    voters = add_voters(world.tps1, 3)
    device.statuses([event(voters[0]), event(voters[1], "TMS", tms_reason=8, target_tps=2)])
    assert run("62.71") == "All figures agree: 4 TPS in 62.71 recounted.\n"
    assert "All figures agree" in run()  # every regency with TPS


def test_it_names_each_tps_and_figure_that_differs(world):
    add_voters(world.tps1, 2)
    Voter.objects.filter(tps=world.tps1).update(status="MS")  # behind the figures' back
    TpsFigures.objects.filter(tps=world.tps_bukit_batu).update(baru=4)
    out = StringIO()
    with pytest.raises(CommandError, match="2 of 4 TPS in 62.71 have figures that differ"):
        call_command("check_figures", "62.71", stdout=out)
    lines = out.getvalue().splitlines()
    assert "62.71.01.1001.001 done: kept 0, recounted 2" in lines
    assert "62.71.01.1001.001 ms: kept 0, recounted 2" in lines
    assert "62.71.02.1001.001 baru: kept 4, recounted 0" in lines
    # Narrowed to one village, only its TPS are checked.
    with pytest.raises(CommandError, match="1 of 2 TPS in 62.71.01.1001"):
        call_command("check_figures", "62.71.01.1001", stdout=StringIO())
    assert "All figures agree: 1 TPS in 62.71.01.1002" in run("62.71.01.1002")


def test_it_names_each_recap_row_that_breaks_the_identity(world):
    # DPHP = Model A - TMS + Baru, for L and P, on every recap row at every level (SPEC 4).
    add_voters(world.tps1, 2)
    TpsFigures.objects.filter(tps=world.tps1).update(dps_p=0)  # P voter dropped from the DPHP
    out = StringIO()
    with pytest.raises(CommandError, match="recap rows break DPHP"):
        call_command("check_figures", "62.71", stdout=out)
    lines = out.getvalue().splitlines()
    broken = [line for line in lines if "Model A - TMS + Baru" in line]
    # The TPS's row in the village recap, the village's in the district's, the district's in
    # the regency's: P only.
    assert [line.split()[0:3] for line in broken] == [
        ["62.71.01", "DPHP", "P:"],
        ["62.71.01.1001", "DPHP", "P:"],
        ["62.71.01.1001.001", "DPHP", "P:"],
    ]


def test_it_exits_non_zero(world):
    TpsFigures.objects.filter(tps=world.tps_mimika).update(done=1)
    with pytest.raises(SystemExit) as exc:
        from django.core.management import execute_from_command_line

        execute_from_command_line(["manage.py", "check_figures", "94.04"])
    assert exc.value.code != 0


def test_an_unknown_area_is_an_error(world):
    with pytest.raises(CommandError, match="Unknown area"):
        run("62.99")
