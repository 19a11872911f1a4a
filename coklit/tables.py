"""The children table of an area page (django-tables2: tens of rows, sortable).

django-tables2 holds the columns, their headers, the sorting and the paging; the body's cells
are plain strings made once per row (see `ChildTable.body_rows`): no inline style (CSP), bars
are SVG with presentation attributes, numbers read 1.234.567 and 65,4% as number_format writes
them, every text is escaped.
"""

import html

import django_tables2 as tables
from django.urls import reverse
from django.utils.formats import get_format, number_format
from django.utils.functional import cached_property
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kpu.models import Area

DENOMINATOR = _("Selesai coklit dibagi pemilih Model A (pemilih baru tidak dihitung)")


def esc(text) -> str:
    """HTML-escaped text, as Django's escape() (which is slower: it checks for lazy strings)."""
    return html.escape(str(text))


def num(n) -> str:
    return number_format(n or 0, force_grouping=True)


def pct(p: float) -> str:
    return number_format(p, 1) + "%"


def number_formatter():
    """`num` for the active language, made once per table: the separators are looked up once
    instead of for every cell (Django's number_format does it on each call)."""
    sep, grouping = get_format("THOUSAND_SEPARATOR"), get_format("NUMBER_GROUPING")
    if grouping != 3:  # Indian-style and other groupings: Django's own
        return num

    def fast(n) -> str:
        n = n or 0
        if type(n) is not int:
            return num(n)
        return f"{n:,}".replace(",", sep) if n >= 1000 or n <= -1000 else str(n)

    return fast


def percent_formatter():
    """`pct` for the active language, made once per table. Like number_format(p, 1), the digits
    after the first decimal are cut, not rounded (the percentages are rounded down already)."""
    decimal = get_format("DECIMAL_SEPARATOR")

    def fast(p: float) -> str:
        text = repr(float(p))
        if not 0 <= p < 1000 or "e" in text:
            return pct(p)
        whole, _dot, fraction = text.partition(".")
        return f"{whole}{decimal}{(fraction + '0')[:1]}%"

    return fast


class NumColumn(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", {"th": {"class": "num"}, "td": {"class": "num"}})
        super().__init__(*args, **kwargs)

    def render(self, value):
        return num(value)


def _small(cls: str = "hide-sm") -> dict:
    return {"th": {"class": f"num {cls}"}, "td": {"class": f"num {cls}"}}


class ChildTable(tables.Table):
    """Children of an area: figures, completion with a bar, pleno state, exceptions."""

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
    pleno = tables.Column(
        verbose_name=_("Pleno"), accessor="pleno_state", empty_values=(), orderable=True
    )
    waited = tables.Column(
        verbose_name=_("Hari menunggu"),
        accessor="pleno_days",
        attrs=_small(""),
        empty_values=(),
    )
    pantarlih = tables.Column(
        verbose_name=_("Pantarlih"), attrs={"th": {"class": "hide-sm"}, "td": {"class": "hide-sm"}}
    )
    exceptions = tables.Column(
        verbose_name=_("Perlu perhatian"), accessor="attention", empty_values=(), orderable=True
    )

    class Meta:
        attrs = {"class": "table children", "id": "children"}
        order_by = ("code",)
        orderable = True
        empty_text = _("Tidak ada wilayah yang cocok.")
        # On a phone (code, TPS, voters and done hidden) the name, the % and the state come
        # first, then what needs attention (issue 16).
        sequence = ("name", "code", "tps_count", "target", "done", "ratio", "...", "exceptions")

    def __init__(self, rows, *, area: Area, expected: float | None, **kwargs):
        exclude = []
        if area.level == Area.Level.VILLAGE:
            exclude += ["tps_count", "pleno", "waited"]
        else:
            exclude += ["pantarlih"]
        if area.level not in (Area.Level.DISTRICT, Area.Level.REGENCY):
            exclude += ["pleno", "waited"]
        super().__init__(rows, exclude=exclude, **kwargs)
        self.area = area
        self.expected = expected
        child = {
            Area.Level.REGENCY: _("Kecamatan"),
            Area.Level.DISTRICT: _("Kelurahan/Desa"),
            Area.Level.VILLAGE: _("TPS"),
        }
        if area.is_papua:
            child |= {Area.Level.REGENCY: _("Distrik"), Area.Level.DISTRICT: _("Kelurahan/Kampung")}
        self.columns["name"].column.verbose_name = child.get(area.level, _("Wilayah"))

    # The body. tables2 sorts and pages the records; the cells are then made by the cell_*
    # methods below from each row's plain values, and the project's template prints the rows in
    # one loop. tables2's own per-cell path (a signature inspection, the column's attrs built
    # again and lazy strings translated again for each of ~250 cells) was most of a page's time.

    renders_body = True  # templates/django_tables2/table_htmx.html prints `body_rows`

    @cached_property
    def body_rows(self) -> list[str]:
        """Each row of the current page as its `<tr>` HTML (alternating even/odd, as tables2)."""
        self._prepare_cells()
        cells = []
        for bound in self.columns:
            td = bound.attrs["td"].as_html()
            cells.append(("<td " + td + ">" if td else "<td>", self._cell_for(bound)))
        rows = []
        for i, row in enumerate(self.paginated_rows):
            record = row.record
            tds = "".join([f"{td}{cell(record)}</td>" for td, cell in cells])
            rows.append(mark_safe(f'<tr class="{"odd" if i % 2 else "even"}">{tds}</tr>'))
        return rows

    def _cell_for(self, bound):
        """The function making this column's cell HTML from a record, like tables2 would."""
        method = getattr(self, f"cell_{bound.name}", None)
        if method is not None:
            return method
        name, empty = str(bound.accessor), bound.column.empty_values
        default = conditional_escape(bound.default)
        text = self._num if isinstance(bound.column, NumColumn) else esc

        def cell(record):
            value = getattr(record, name)
            return default if value in empty else text(value)

        return cell

    def _prepare_cells(self) -> None:
        """What every cell shares, made once: number formats, translated texts, the bar's tick."""
        self._num = number_formatter()
        self._pct = percent_formatter()
        self._url = reverse("coklit-area", args=["__area__"]).partition("__area__")
        self._behind = (
            f' <span class="behind" title="{esc(_("Di bawah kemajuan yang diharapkan hari ini"))}'
            f'">{esc(_("tertinggal"))}</span>'
        )
        self._ratio_title = esc(_("Selesai/pemilih Model A:"))
        self._tick = ""
        if self.expected is not None:
            x = round(self.expected * 100, 1)
            self._tick = f'<line class="expect" x1="{x}" x2="{x}" y1="0" y2="10"/>'
        self._badges = [(key, cls, esc(SHORT_LABELS[key])) for key, cls, _label in EXCEPTIONS]
        self._days: dict[int, str] = {}
        self._villages_held = (
            _("kampung sudah pleno") if self.area.is_papua else _("kelurahan/desa sudah pleno")
        )

    def cell_name(self, record) -> str:
        area = record.area
        before, _placeholder, after = self._url
        url = before + esc(area.code) + after
        # "TPS 001" never wraps into "TPS / 001" on a phone.
        name = (
            esc(area.title).replace(" ", "&nbsp;")
            if area.level == Area.Level.TPS
            else esc(area.name)
        )
        return (
            f'<a href="{url}" hx-get="{url}" hx-target="body" hx-swap="innerHTML show:top" '
            f'hx-push-url="true">{name}</a>{self._behind if record.behind else ""}'
        )

    def cell_ratio(self, record) -> str:
        f, num = record.figures, self._num
        p = f["percent"]
        return (
            f'<span title="{self._ratio_title} {num(f["done"])} / {num(f["target"])}">'
            f"{self._pct(p)}</span> "
            '<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">'
            f'<rect class="bg" width="100" height="10"/><rect class="done" width="{min(p, 100.0)}"'
            f' height="10"/>{self._tick}</svg>'
        )

    def cell_pleno(self, record) -> str:
        state = f'<span class="state {record.pleno_state}">{esc(record.pleno_label)}</span>'
        if record.pleno_held is not None:  # a district: its villages' plenos too
            total = getattr(record.area, "villages", None)
            state += (
                f' <small class="muted">{self._num(record.pleno_held)}/{self._num(total or 0)}'
                f" {esc(self._villages_held)}</small>"
            )
        return state

    def cell_waited(self, record) -> str:
        days = record.pleno_days
        if days is None:
            return "&ndash;"
        text = self._days.get(days)
        if text is None:
            text = self._days[days] = esc(
                ngettext("%(n)s hari", "%(n)s hari", days) % {"n": self._num(days)}
            )
        # A held pleno waits for the level above; three days or more is a bottleneck.
        cls = "late" if days >= 3 and record.pleno_state != "belum" else ""
        return f'<span class="{cls}">{text}</span>'

    def cell_exceptions(self, record) -> str:
        """Each count with its word beside it (no hover-only meaning: phones have no hover),
        and each a link to the list behind it (`exception_url`)."""
        f, num, code = record.figures, self._num, record.area.code
        return " ".join(
            f'<a class="badge {cls}" href="{esc(exception_url(code, key))}">'
            f"{num(f[key])}&nbsp;{short}</a>"
            for key, cls, short in self._badges
            if f.get(key)
        )

    # tables2's own renderers (any other template or export of this table): the same cells.
    def _rendered(self, cell, record):
        if not hasattr(self, "_num"):
            self._prepare_cells()
        return mark_safe(cell(record))

    def render_name(self, record):
        return self._rendered(self.cell_name, record)

    def render_ratio(self, record):
        return self._rendered(self.cell_ratio, record)

    def render_pleno(self, record):
        return self._rendered(self.cell_pleno, record)

    def render_waited(self, record):
        return self._rendered(self.cell_waited, record)

    def render_exceptions(self, record):
        return self._rendered(self.cell_exceptions, record)

    def order_ratio(self, rows, is_descending):
        return sorted(rows, key=lambda r: r.figures["ratio"], reverse=is_descending), True

    def order_pleno(self, rows, is_descending):
        order = ["dikembalikan", "belum", "sudah"]

        def key(r):
            return order.index(r.pleno_state) if r.pleno_state in order else 0, r.code

        return sorted(rows, key=key, reverse=is_descending), True

    def order_waited(self, rows, is_descending):
        return sorted(rows, key=lambda r: r.pleno_days or -1, reverse=is_descending), True

    def order_exceptions(self, rows, is_descending):
        return sorted(rows, key=lambda r: attention(r.figures), reverse=is_descending), True


EXCEPTIONS = [
    ("pending", "pending", _("menunggu verifikasi")),
    ("conflicts", "conflict", _("konflik antar-pantarlih")),
    ("flagged", "flag", _("data ditandai saat impor")),
    ("stale", "stale", _("TPS belum sinkron lebih dari 48 jam")),
]


# The word beside a count in a table row, where a whole phrase does not fit.
SHORT_LABELS = {
    "pending": _("verifikasi"),
    "conflicts": _("konflik"),
    "flagged": _("ditandai"),
    "stale": _("TPS belum sinkron"),
}


def attention(f: dict) -> int:
    return sum(f.get(k, 0) for k, _c, _t in EXCEPTIONS)


def exception_url(code: str, key: str) -> str:
    """Where a count of `key` (an EXCEPTIONS key) for area `code` is listed (SPEC 7: each count
    links to what it counts). Results waiting and conflicts are in the village's verification
    queue (filtered to the TPS, for a TPS); a TPS's flagged voters are its voter list filtered;
    a TPS not synced shows its reconciliation card; anything else is the area's children table
    filtered to the rows that have such a count (`?perhatian=<key>`)."""
    level = code.count(".") + 1
    if level == Area.Level.TPS:
        village = code.rpartition(".")[0]
        queue = reverse("coklit-queue", args=[village])
        area = reverse("coklit-area", args=[code])
        return {
            "pending": f"{queue}?tps={code}",
            "conflicts": f"{queue}?tps={code}&hasil=konflik",
            "flagged": f"{area}?status=ditandai#voters",
        }.get(key, f"{area}#sync-h")
    if level == Area.Level.VILLAGE and key in ("pending", "conflicts"):
        queue = reverse("coklit-queue", args=[code])
        return queue if key == "pending" else f"{queue}?hasil=konflik"
    return f"{reverse('coklit-area', args=[code])}?perhatian={key}#children"


def rows_with_exception(rows: list, key: str) -> list:
    """The children table's rows that have a count of `key` (`?perhatian=<key>`)."""
    if key not in SHORT_LABELS:
        return rows
    return [r for r in rows if r.figures.get(key)]
