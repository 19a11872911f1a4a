"""Small display helpers of the dashboard templates."""

from django import template
from django.utils.html import escape
from django.utils.http import urlencode

from coklit.masking import mask_nik

register = template.Library()


# A NIK or NKK as KPU publishes it (`6271**********01`): the one rule, coklit.masking.
register.filter("mask_nik", mask_nik)


@register.filter
def get_item(mapping, key):
    return mapping.get(key, key) if mapping else key


@register.filter
def split_flags(value: str) -> list[str]:
    return [f for f in (value or "").split(",") if f]


@register.simple_tag(takes_context=True)
def table_headers(context, table) -> list[dict]:
    """Each column's header cell of a django-tables2 table, read once per column.

    The template used to ask each BoundColumn for its attrs, ordering and sort link several
    times, and tables2 builds the column's attrs again on every access. The sort link is the
    one `querystring_replace` makes: the current query with the table's order field replaced.
    """
    params = dict(context["request"].GET)
    field = table.prefixed_order_by_field
    headers = []
    for column in table.columns:
        ordered = column.is_ordered
        alias = column.order_by_alias if column.orderable or ordered else None
        sort_url = None
        if column.orderable:
            sort_url = escape("?" + urlencode(params | {field: alias.next}, doseq=True))
        headers.append(
            {
                "attrs": column.attrs["th"].as_html(),
                "header": column.header,
                "ordered": ordered,
                "descending": ordered and alias.is_descending,
                "sort_url": sort_url,
            }
        )
    return headers
