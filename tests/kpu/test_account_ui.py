"""Small things of the accounts pages that decide what a hurried officer does (issue 16): no
role chosen in advance, and a password slip whose values stay inside its border."""

import pytest
from django.urls import reverse

from kpu.models import User

pytestmark = pytest.mark.django_db


def test_the_new_account_form_chooses_no_role_in_advance(world, login):
    html = login(world.kpu).get(reverse("kpu-account-create")).text
    select = html.split('name="peran"', 1)[1].split("</select>", 1)[0]
    first, *others = select.split("<option")[1:]
    assert 'value=""' in first and "pilih peran" in first
    assert not any("selected" in o for o in others)


def test_an_account_without_a_role_is_refused_and_nothing_is_made(world, login):
    count = User.objects.count()
    response = login(world.kpu).post(
        reverse("kpu-account-create"), {"nama": "Rina", "peran": "", "kode_wilayah": "62.71"}
    )
    assert response.status_code == 200 and User.objects.count() == count
    assert 'name="peran"' in response.text


def test_editing_keeps_the_accounts_own_role_selected(world, login):
    html = login(world.kpu).get(reverse("kpu-account-edit", args=[world.pps.pk])).text
    select = html.split('name="peran"', 1)[1].split("</select>", 1)[0]
    assert 'value="pps" selected' in select


def test_the_slip_sets_the_username_apart_so_it_is_not_broken_mid_token(world, login):
    response = login(world.kpu).post(
        reverse("kpu-account-create"),
        {"nama": "Yohana", "peran": "pantarlih", "kode_wilayah": "62.71.01.1001.001"},
    )
    assert '<dd class="secret username">pantarlih-62.71.01.1001.001</dd>' in response.text
