"""The area code rule (`kpu.lookups`): one prefix rule, the same in Python and in SQL."""

import pytest

from kpu.lookups import code_below, code_within
from kpu.models import Area, User

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("own", ["62", "62.71", "62.71.01", "62.71.01.1001", "62.7", "94.04"])
def test_within_and_below_agree_with_the_python_rule(world, own):
    codes = list(Area.objects.values_list("code", flat=True))
    within = set(Area.objects.filter(code__within=own).values_list("code", flat=True))
    below = set(Area.objects.filter(code__below=own).values_list("code", flat=True))
    assert within == {c for c in codes if code_within(c, own)}
    assert below == within - {own} == {c for c in codes if code_below(c, own)}
    if own == "62.7":
        assert not within  # a prefix that is not a whole code is not an ancestor


def test_the_lookups_follow_relations(world):
    users = set(
        User.objects.filter(area__code__within="62.71.01").values_list("username", flat=True)
    )
    assert users == {"ppk", "pps", "pkd", "pantarlih", "pantarlih2", "pps_panarung"}
    assert set(
        User.objects.filter(area__code__below="62.71.01").values_list("username", flat=True)
    ) == (users - {"ppk"})
