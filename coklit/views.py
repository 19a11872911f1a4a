import hashlib
import time

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from django_tables2 import RequestConfig

from coklit import dashboard, plenos, selectors
from coklit.chart import progress_chart
from coklit.clock import Clock, clock_for
from coklit.dashboard_sql import live_version
from coklit.models import FIGURE_FIELDS, Flag, Pleno, Voter
from coklit.tables import (
    DENOMINATOR,
    EXCEPTIONS,
    SHORT_LABELS,
    ChildTable,
    exception_url,
    rows_with_exception,
)
from kpu.db_router import dashboard_view
from kpu.http import AuthedRequest
from kpu.models import Area
from kpu.scoping import area_for_user_or_404, area_path_for_user_or_404, in_scope

# Bumped when the live partial's markup changes, so browsers do not keep an old rendering.
LIVE_TEMPLATE_VERSION = "2"


POLL_TIMEOUT_MS = 15_000


def _poll_seconds() -> int:
    return getattr(settings, "COKLIT_POLL_SECONDS", 20)


def _live_etag(request: AuthedRequest, code: str, version: tuple) -> str:
    """The ETag of the live partial: what it shows can only change if one of these does.

    The figures' version (`dashboard_sql.live_version`), the query string (sort, filter), the
    language, the viewer's own area (links depend on scope) and the hour (UTC, so the zones'
    hours too): "behind expected" and "not synced for 48 h" move with time alone, and the
    expected share is taken by the whole hour. Made from plain strings: it is most of the
    Python an unchanged poll runs.
    """
    raw = "\x1f".join(
        (
            LIVE_TEMPLATE_VERSION,
            code,
            repr(version),
            request.META.get("QUERY_STRING", ""),
            get_language() or "",
            str(request.user.area_id),
            str(int(time.time() // 3600)),
        )
    )
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'


def _live_context(
    request: AuthedRequest, area: Area, clock: Clock, pleno: Pleno | None = None
) -> dict:
    """`pleno`: the village's pleno when the caller read it already (the page)."""
    behind_only = request.GET.get("tertinggal") == "1"
    totals, rows = dashboard.live_figures(area=area, clock=clock, behind_only=behind_only)
    attention = request.GET.get("perhatian", "")
    attention = attention if attention in SHORT_LABELS else ""
    rows = rows_with_exception(rows, attention)
    table = None
    if area.level < Area.Level.TPS:
        table = ChildTable(rows, area=area, expected=clock.expected)
        RequestConfig(request, paginate={"per_page": 100}).configure(table)
    return {
        "totals": totals,
        "table": table,
        "behind_only": behind_only,
        "expected": clock.expected,
        "expected_percent": (int(clock.expected * 1000) / 10)
        if clock.expected is not None
        else None,
        "chart": progress_chart(area=area, clock=clock, target=totals["target"]),
        "poll_seconds": _poll_seconds(),
        # A poll the server does not answer within this counts as failed (the banner shows).
        "poll_timeout_ms": POLL_TIMEOUT_MS,
        "denominator": DENOMINATOR,
        "exceptions": [
            (key, cls, label, exception_url(area.code, key)) for key, cls, label in EXCEPTIONS
        ],
        "attention": attention,
        "attention_label": dict((k, label) for k, _c, label in EXCEPTIONS).get(attention, ""),
        "gap_points": _gap_points(totals, clock),
        "pleno_state": _pleno_state(area, pleno),
    }


def _gap_points(totals: dict, clock: Clock) -> float | None:
    """Done % less the expected % by now, in percentage points, one decimal (negative: behind).

    From the two figures as shown (both rounded down to one decimal), so the three numbers on
    the headline card agree with each other."""
    if clock.expected is None or not totals.get("target"):
        return None
    shown_expected = int(clock.expected * 1000) / 10
    return round(totals["percent"] - shown_expected, 1)


def _pleno_state(area: Area, pleno: Pleno | None) -> Pleno | None:
    """A village's pleno for the live panel: None while nobody has acted on it."""
    if area.level != Area.Level.VILLAGE:
        return None
    if pleno is None:
        return dashboard.village_pleno(village=area)
    return pleno if pleno.pk else None


def _voters_context(request: AuthedRequest, area: Area) -> dict:
    status = request.GET.get("status", "")
    return {
        "voters": dashboard.tps_voters(tps=area, page=request.GET.get("hal"), status=status),
        "voter_status": status,
        "statuses": [*Voter.Status.choices, (dashboard.FLAGGED, _("Ditandai saat impor"))],
        "flag_labels": dict(Flag.choices),
    }


@require_GET
@login_required
@dashboard_view
def area(request: AuthedRequest, code: str) -> HttpResponse:
    """The page of any area in scope; htmx asks it for its live partial or a voter page.

    One URL answers three shapes, told apart by htmx's HX-Target: `live` (totals, chart and
    table, polled; 304 when unchanged), `voters` (a page of a TPS's voter list), or the page.
    """
    target = request.htmx.target if request.htmx else None
    if target == "live":
        response = _live(request, code)
    else:
        path = area_path_for_user_or_404(request.user, code)
        area = path[-1]
        if target == "voters" and area.level == Area.Level.TPS:
            response = _render(request, area, "coklit/area.html#voters", voters=True)
        else:
            response = _render(
                request, area, "coklit/area.html", live=True, voters=True, page=True, path=path
            )
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def _live(request: AuthedRequest, code: str) -> HttpResponse:
    """The polled partial. An unchanged one is a 304 after the scope check (from the codes, no
    query) and one query for the area and its version; nothing else runs before the ETag is
    compared."""
    if not in_scope(request.user, code):
        raise Http404("Wilayah tidak ditemukan.")
    found = live_version(code=code)
    if found is None:
        raise Http404("Wilayah tidak ditemukan.")
    make_area, version = found
    etag = _live_etag(request, code, version)
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = _render(request, make_area(), "coklit/area.html#live", live=True, poll=True)
    response["ETag"] = etag
    # Stored but revalidated every time: the browser asks with If-None-Match and gets 304.
    # (Nothing else sets Cache-Control here: patch_cache_control's parsing is not needed.)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _render(
    request, area, template, *, live=False, voters=False, page=False, path=None, poll=False
) -> HttpResponse:
    """`poll`: the live partial answers a poll, and brings the headline card (at the top of the
    page, outside #live) out of band."""
    pemilihan = selectors.pemilihan_for(area=area)
    clock = clock_for(area=area, pemilihan=pemilihan)
    context = {
        "area": area,
        "pemilihan": pemilihan,
        "clock": clock,
        "is_tps": area.level == 5,
        "oob": poll,
    }
    pleno = None
    if page and area.level == Area.Level.VILLAGE:
        # One read of the village's pleno for the live panel, the PPS's inbox and the pleno
        # panel (templatetags/workflow.py takes it, and the live sums, from the context).
        pleno = context["village_pleno"] = plenos.pleno_for(area=area)
    if live:
        context |= _live_context(request, area, clock, pleno)
        if page and area.level == Area.Level.VILLAGE:
            totals = context["totals"]
            context["village_live"] = {k: totals[k] for k in ("tps_count", *FIGURE_FIELDS)}
    if live and area.level == Area.Level.TPS:
        context["pantarlih"] = dashboard.pantarlih_names(codes=[area.code]).get(area.code, [])
        # Results by where they came from: the app, or paper (typed or uploaded) (SPEC 6b).
        context["sources"] = selectors.results_by_source(tps=area)
    if voters and area.level == Area.Level.TPS:
        context |= _voters_context(request, area)
    if page:
        context["breadcrumbs"] = [(crumb, in_scope(request.user, crumb.code)) for crumb in path]
        # The verification/pleno workflow and the exports add their context here, in their
        # own selectors, and their markup in the include slots of area.html.
    # Every time on the page is in the election's zone (WIB, WITA or WIT).
    with timezone.override(clock.tzinfo):
        return render(request, template, context)


@require_GET
@login_required
def search(request: AuthedRequest, code: str) -> HttpResponse:
    """Villages and TPS (and districts) by name or code, inside an area the user may see."""
    area = area_for_user_or_404(request.user, code)
    q = request.GET.get("q", "").strip()
    results = dashboard.search_areas(area=area, q=q)
    template = "coklit/search.html#results" if request.htmx else "coklit/search.html"
    response = render(request, template, {"area": area, "q": q, "results": results})
    patch_vary_headers(response, ("HX-Request",))
    return response
