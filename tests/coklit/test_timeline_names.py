"""The village timeline names the voter of each decision and NIK reveal (issue 16)."""

import pytest
from django.urls import reverse

from coklit import selectors, services
from tests.coklit.workflow import make_voter, record

pytestmark = pytest.mark.django_db


def test_each_decision_names_its_voter_in_one_query(world, login, django_assert_num_queries):
    a = record(make_voter(world.tps1, nama="Siti Aminah"), "TMS", tms_reason=4)
    b = record(make_voter(world.tps2, nama="Yusuf Bungai"), "TMS", tms_reason=5)
    services.event_verify(event=a, by=world.pps, decision="approve")
    services.event_verify(event=b, by=world.pps, decision="reject", note="masih tinggal di sini")
    voter = make_voter(world.tps1, nama="Intan", nik="6271014101900001")
    services.voter_nik_reveal(voter=voter, by=world.pps, reason="cek KTP-el")
    with django_assert_num_queries(2):  # the entries, then the voters' names
        timeline = selectors.village_timeline(village=world.village)
    names = {t.entry.action: t.voter_name for t in timeline}
    assert names == {
        "verify_approve": "Siti Aminah",
        "verify_reject": "Yusuf Bungai",
        "nik_reveal": "Intan",
    }
    html = login(world.pps).get(reverse("coklit-area", args=[world.village.code])).text
    assert '· <span class="voter-name">Siti Aminah</span>' in html
    assert "6271014101900001" not in html
