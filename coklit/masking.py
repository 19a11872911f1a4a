"""NIK and NKK as KPU publishes them: 10 of 16 digits starred, region and last digits visible.

The 2023 leak of 204 million voter records is why a full NIK never leaves the server by default:
every page, list and export shows `mask_nik(...)`; revealing one needs a reason and is audited.
This is the one place the rule is written: the API, the exports, the admin, the verification
queue and the templates (filters `mask_nik` and `mask_id`) all call it.
"""

VISIBLE_HEAD = 4
VISIBLE_TAIL = 2
STARS = "*" * (16 - VISIBLE_HEAD - VISIBLE_TAIL)


def mask_nik(value: object) -> str:
    """`6271014101900001` -> `6271**********01` (NKK alike).

    The first 4 digits (province and regency of issue) and the last 2 stay; everything between is
    starred, whatever the length, so a malformed value leaks no more than a well-formed one.
    """
    if type(value) is str and len(value) == 16:  # the usual case, fast for 100,000-row lists
        return value[:VISIBLE_HEAD] + STARS + value[-VISIBLE_TAIL:]
    value = "" if value is None else str(value).strip()
    if len(value) <= VISIBLE_HEAD + VISIBLE_TAIL:
        return "*" * len(value)
    hidden = len(value) - VISIBLE_HEAD - VISIBLE_TAIL
    return value[:VISIBLE_HEAD] + "*" * hidden + value[-VISIBLE_TAIL:]
