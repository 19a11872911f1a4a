"""One rule masks a NIK or NKK wherever it is shown: pages, the queue, the API, exports."""

import pytest
from django.template import Context, Template

from coklit.masking import mask_nik

VALUES = ["6271014101900001", "62710141019000", "627101410190000123", "1234567", "123", "", None]


@pytest.mark.parametrize("value", VALUES)
@pytest.mark.parametrize("library,name", [("coklit_tags", "mask_nik"), ("workflow", "mask_id")])
def test_the_template_filters_mask_as_the_one_rule(library, name, value):
    template = Template(f"{{% load {library} %}}{{{{ value|{name} }}}}")
    shown = template.render(Context({"value": value}, autoescape=False))
    assert shown == mask_nik(value)


def test_a_malformed_value_shows_no_more_digits_than_a_well_formed_one():
    for value in VALUES:
        shown = mask_nik(value)
        assert sum(c.isdigit() for c in shown) <= 6 and len(shown) == len(value or "")
    assert mask_nik(6271014101900001) == "6271**********01"  # a number from a JSON correction
