"""Small display helpers of the dashboard templates."""

from django import template

register = template.Library()


@register.filter
def mask_nik(value: str) -> str:
    """A NIK or NKK as KPU publishes it: 10 of 16 digits starred (`6271**********01`)."""
    value = value or ""
    if len(value) != 16:
        return "*" * len(value)
    return value[:4] + "*" * 10 + value[-2:]


@register.filter
def get_item(mapping, key):
    return mapping.get(key, key) if mapping else key


@register.filter
def split_flags(value: str) -> list[str]:
    return [f for f in (value or "").split(",") if f]
