"""The children table of an area page (django-tables2: tens of rows, sortable).

Cells are built with format_html: no inline style (CSP), bars are SVG with presentation
attributes. Numbers go through number_format so they read 1.234.567 and 65,4%.
"""

import django_tables2 as tables
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kpu.models import Area

DENOMINATOR = _("Selesai coklit dibagi pemilih Model A (pemilih baru tidak dihitung)")


def num(n) -> str:
    return number_format(n or 0, force_grouping=True)


def pct(p: float) -> str:
    return number_format(p, 1) + "%"


def bar(p: float, expected: float | None) -> str:
    """A progress bar as SVG: the done share, and a tick at the expected share by now."""
    tick = ""
    if expected is not None:
        x = round(expected * 100, 1)
        tick = format_html('<line class="expect" x1="{}" x2="{}" y1="0" y2="10"/>', x, x)
    return format_html(
        '<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">'
        '<rect class="bg" width="100" height="10"/><rect class="done" width="{}" height="10"/>{}'
        "</svg>",
        min(p, 100.0),
        tick,
    )


class NumColumn(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", {"th": {"class": "num"}, "td": {"class": "num"}})
        super().__init__(*args, **kwargs)

    def render(self, value):
        return num(value)


def _small(cls: str = "hide-sm") -> dict:
    return {"th": {"class": f"num {cls}"}, "td": {"class": f"num {cls}"}}


class ChildTable(tables.Table):
    """Children of an area: figures, completion with a bar, DPS draft, exceptions."""

    name = tables.Column(verbose_name=_("Wilayah"), order_by=("area__name",))
    code = tables.Column(
        verbose_name=_("Kode"), attrs={"th": {"class": "hide-sm"}, "td": {"class": "code hide-sm"}}
    )
    tps_count = NumColumn(verbose_name=_("TPS"), attrs=_small())
    target = NumColumn(verbose_name=_("Pemilih (Model A)"), attrs=_small())
    done = NumColumn(verbose_name=_("Selesai"), attrs=_small())
    ratio = tables.Column(
        verbose_name=_("Selesai (%)"),
        attrs={"th": {"class": "num", "title": DENOMINATOR}, "td": {"class": "num pct"}},
    )
    draft = tables.Column(
        verbose_name=_("DPS"), accessor="draft_status", empty_values=(), orderable=True
    )
    waited = tables.Column(
        verbose_name=_("Hari di tahap ini"),
        accessor="draft_days",
        attrs=_small(""),
        empty_values=(),
    )
    pantarlih = tables.Column(verbose_name=_("Pantarlih"), attrs={"td": {"class": "hide-sm"}})
    exceptions = tables.Column(
        verbose_name=_("Perlu perhatian"), accessor="attention", empty_values=(), orderable=True
    )

    class Meta:
        attrs = {"class": "table children", "id": "children"}
        order_by = ("code",)
        orderable = True
        empty_text = _("Tidak ada wilayah yang cocok.")
        # What needs attention comes before the DPS state: on a phone it is what stays in view.
        sequence = ("name", "code", "tps_count", "target", "done", "ratio", "exceptions", "...")

    def __init__(self, rows, *, area: Area, expected: float | None, **kwargs):
        exclude = []
        if area.level == Area.Level.VILLAGE:
            exclude += ["tps_count", "draft", "waited"]
        else:
            exclude += ["pantarlih"]
        if area.level != Area.Level.DISTRICT:
            exclude += ["waited"]
        if area.level not in (Area.Level.DISTRICT, Area.Level.REGENCY):
            exclude += ["draft"]
        super().__init__(rows, exclude=exclude, **kwargs)
        self.area = area
        self.expected = expected
        child = {
            Area.Level.REGENCY: _("Kecamatan"),
            Area.Level.DISTRICT: _("Kelurahan/Desa"),
            Area.Level.VILLAGE: _("TPS"),
        }
        if area.is_papua:
            child |= {Area.Level.REGENCY: _("Distrik"), Area.Level.DISTRICT: _("Kampung")}
        self.columns["name"].column.verbose_name = child.get(area.level, _("Wilayah"))

    def render_name(self, record):
        url = reverse("coklit-area", args=[record.area.code])
        mark = ""
        if record.behind:
            mark = format_html(
                ' <span class="behind" title="{}">{}</span>',
                _("Di bawah kemajuan yang diharapkan hari ini"),
                _("tertinggal"),
            )
        return format_html(
            '<a href="{}" hx-get="{}" hx-target="body" hx-swap="innerHTML show:top" '
            'hx-push-url="true">{}</a>{}',
            url,
            url,
            record.area.title if record.area.level == Area.Level.TPS else record.area.name,
            mark,
        )

    def render_ratio(self, record):
        p = record.figures["percent"]
        return format_html(
            '<span title="{} {} / {}">{}</span> {}',
            _("Selesai/pemilih Model A:"),
            num(record.figures["done"]),
            num(record.figures["target"]),
            pct(p),
            bar(p, self.expected),
        )

    def order_ratio(self, rows, is_descending):
        return sorted(rows, key=lambda r: r.figures["ratio"], reverse=is_descending), True

    def render_draft(self, record):
        if record.draft_counts is not None:  # a district: villages per state
            return format_html_join(
                " ",
                '<span class="state {}" title="{}">{}&nbsp;{}</span>',
                ((s, label, n, label) for s, label, n in record.draft_counts),
            ) or mark_safe("&ndash;")
        return format_html(
            '<span class="state {}">{}</span>', record.draft_status, record.draft_label
        )

    def order_draft(self, rows, is_descending):
        order = ["returned", "draft", "submitted", "approved", "established"]

        def key(r):
            if r.draft_counts is not None:  # least advanced district first
                return [-n for _s, _l, n in r.draft_counts], r.code
            return order.index(r.draft_status) if r.draft_status in order else 0, r.code

        return sorted(rows, key=key, reverse=is_descending), True

    def render_waited(self, record):
        if record.draft_days is None:
            return mark_safe("&ndash;")
        text = ngettext("%(n)s hari", "%(n)s hari", record.draft_days) % {
            "n": num(record.draft_days)
        }
        cls = "late" if record.draft_days >= 3 and record.draft_status != "established" else ""
        return format_html('<span class="{}">{}</span>', cls, text)

    def order_waited(self, rows, is_descending):
        return sorted(rows, key=lambda r: r.draft_days or -1, reverse=is_descending), True

    def render_exceptions(self, record):
        return badges(record.figures)

    def order_exceptions(self, rows, is_descending):
        return sorted(rows, key=lambda r: attention(r.figures), reverse=is_descending), True


EXCEPTIONS = [
    ("pending", "pending", _("menunggu verifikasi")),
    ("conflicts", "conflict", _("konflik antar-pantarlih")),
    ("flagged", "flag", _("data ditandai saat impor")),
    ("stale", "stale", _("TPS belum sinkron lebih dari 48 jam")),
]


def attention(f: dict) -> int:
    return sum(f.get(k, 0) for k, _c, _t in EXCEPTIONS)


def badges(f: dict) -> str:
    """Small coloured counts of what needs attention; nothing when all is well."""
    parts = [
        format_html(
            '<span class="badge {}" title="{}: {}">{}</span>', cls, num(f[key]), label, num(f[key])
        )
        for key, cls, label in EXCEPTIONS
        if f.get(key)
    ]
    return mark_safe(" ".join(parts)) if parts else ""
