"""Accounts and devices (issue 7): the pages under /pengguna/.

Every view first asks kpu.scoping who the user may manage: PPK and pantarlih (who manage
nobody) get 404 on every page here, and an account or device outside the manager's reach is
404 as well, never 403. Pages that show a one-time password or a device token are answered
with `Cache-Control: no-store`, and the secret appears only in the POST response that made it.
"""

import base64
import io
import zoneinfo

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from kpu import roster, selectors, services
from kpu.forms import (
    AccountCreateForm,
    AccountFilterForm,
    AccountForm,
    PairForm,
    ReasonForm,
    RosterForm,
)
from kpu.http import AuthedRequest
from kpu.models import DeviceToken, Role, tzinfo_of, zone_of
from kpu.scoping import account_for_user_or_404, in_scope, managed_roles, may_manage
from kpu.services import DomainError, RosterInvalid

PAGE_SIZE = 50


def _require_manager(request: AuthedRequest) -> None:
    """PPK and pantarlih manage no accounts: for them /pengguna/ does not exist."""
    if not managed_roles(request.user):
        raise Http404("Halaman tidak ditemukan.")


def _zone(request: AuthedRequest) -> tuple[zoneinfo.ZoneInfo, str]:
    """Times are shown in the election's zone, which follows the manager's province."""
    if request.user.area_id:
        return tzinfo_of(request.user.area_id), zone_of(request.user.area_id)
    return zoneinfo.ZoneInfo(settings.TIME_ZONE), "WIB"


def _context(request: AuthedRequest, **extra) -> dict:
    tz, zone = _zone(request)
    return {"tz": tz, "zone": zone, **extra}


def qr_data_uri(text: str) -> str:
    """A QR code as an SVG data URI for an <img>: CSP allows `img-src data:` but no inline
    styles, and an <img> needs none."""
    buffer = io.BytesIO()
    segno.make(text, error="m").save(
        buffer, kind="svg", scale=6, border=4, xmldecl=False, dark="#000", light="#fff"
    )
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


@login_required
@require_GET
def accounts(request: AuthedRequest) -> HttpResponse:
    """The list, filtered by area, role, status and a search; the filter form is answered
    with the results partial when htmx asks, with the whole page otherwise."""
    _require_manager(request)
    user = request.user
    wilayah = request.GET.get("wilayah", "").strip()
    if wilayah and not in_scope(user, wilayah):
        raise Http404("Wilayah tidak ditemukan.")
    form = AccountFilterForm(
        initial=request.GET.dict(), by=user, areas=selectors.filter_areas(by=user)
    )
    qs = selectors.accounts_list(
        by=user,
        area_code=wilayah,
        role=request.GET.get("peran", ""),
        q=request.GET.get("q", "")[:100],
        status=request.GET.get("status", ""),
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("halaman"))
    template = "kpu/accounts.html"
    # Only the filter form and the pager ask for the partial; htmx restoring a pushed URL from
    # history (HX-History-Restore-Request) needs the whole page.
    if (
        request.htmx
        and request.htmx.target == "accounts-results"
        and not request.htmx.history_restore_request
    ):
        template += "#results"
    response = render(
        request,
        template,
        _context(request, form=form, page=page),
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def account_create(request: AuthedRequest) -> HttpResponse:
    """Create one account; the answer to the POST shows its one-time password, once."""
    _require_manager(request)
    form = AccountCreateForm(request.POST if request.method == "POST" else None, by=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account, password = services.account_create(
                by=request.user,
                full_name=data["nama"],
                role=data["peran"],
                area_code=data["kode_wilayah"],
                phone=data["telepon"],
                username=data["username"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            return render(
                request,
                "kpu/account_password.html",
                _context(request, account=account, password=password, created=True),
            )
    return render(
        request,
        "kpu/account_form.html",
        _context(
            request,
            form=form,
            account=None,
            suggestions=selectors.assignable_areas(by=request.user),
        ),
    )


@login_required
@require_GET
def account(request: AuthedRequest, pk: int) -> HttpResponse:
    account = account_for_user_or_404(request.user, pk)
    return render(
        request,
        "kpu/account.html",
        _context(
            request,
            account=account,
            devices=selectors.account_devices(account=account),
            history=selectors.account_history(account=account),
            is_self=account.pk == request.user.pk,
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    account = account_for_user_or_404(request.user, pk)
    initial = {
        "nama": account.get_full_name(),
        "peran": account.role,
        "kode_wilayah": account.area_id,
        "telepon": account.phone,
    }
    form = AccountForm(
        request.POST if request.method == "POST" else None, initial=initial, by=request.user
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.account_update(
                by=request.user,
                account=account,
                full_name=data["nama"],
                phone=data["telepon"],
                role=data["peran"],
                area_code=data["kode_wilayah"],
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Perubahan akun %(u)s disimpan.") % {"u": account})
            return redirect("kpu-account", pk=account.pk)
    return render(
        request,
        "kpu/account_form.html",
        _context(
            request,
            form=form,
            account=account,
            suggestions=selectors.assignable_areas(by=request.user),
        ),
    )


def _confirm(request: AuthedRequest, pk: int, *, action: str, service, done: str):
    """GET: a confirmation with an optional reason; POST: act, then back to the account."""
    account = account_for_user_or_404(request.user, pk)
    form = ReasonForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            service(by=request.user, account=account, note=form.cleaned_data["note"])
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, done % {"u": account.username})
        return redirect("kpu-account", pk=account.pk)
    return render(
        request,
        "kpu/account_confirm.html",
        _context(request, account=account, form=form, action=action),
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_deactivate(request: AuthedRequest, pk: int) -> HttpResponse:
    return _confirm(
        request,
        pk,
        action="deactivate",
        service=services.account_deactivate,
        done=_("Akun %(u)s dinonaktifkan; perangkatnya dicabut."),
    )


@login_required
@require_http_methods(["GET", "POST"])
def account_activate(request: AuthedRequest, pk: int) -> HttpResponse:
    return _confirm(
        request,
        pk,
        action="activate",
        service=services.account_activate,
        done=_("Akun %(u)s aktif kembali."),
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def account_reset_password(request: AuthedRequest, pk: int) -> HttpResponse:
    account = account_for_user_or_404(request.user, pk)
    if request.method == "POST":
        try:
            password = services.account_password_reset(by=request.user, account=account)
        except DomainError as exc:
            messages.error(request, str(exc))
            return redirect("kpu-account", pk=account.pk)
        return render(
            request,
            "kpu/account_password.html",
            _context(request, account=account, password=password, created=False),
        )
    return render(
        request,
        "kpu/account_confirm.html",
        _context(request, account=account, form=None, action="reset"),
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def account_devices(request: AuthedRequest, pk: int) -> HttpResponse:
    """A pantarlih's devices, and pairing a new one. The token is in the POST's answer only."""
    account = account_for_user_or_404(request.user, pk)
    if account.role != Role.PANTARLIH:
        raise Http404("Hanya pantarlih yang memakai perangkat.")
    form = PairForm(request.POST if request.method == "POST" else None)
    raw = qr = None
    token = None
    if request.method == "POST" and form.is_valid():
        try:
            token, raw = services.device_pair(
                by=request.user,
                account=account,
                revoke_others=form.cleaned_data["revoke_others"],
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            qr = qr_data_uri(raw)
            form = PairForm()
    figures = getattr(account.area, "figures", None) if account.area_id else None
    return render(
        request,
        "kpu/account_devices.html",
        _context(
            request,
            account=account,
            form=form,
            devices=selectors.account_devices(account=account),
            figures=figures,
            new_token=token,
            raw_token=raw,
            qr=qr,
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def device_revoke(request: AuthedRequest, pk: int) -> HttpResponse:
    """GET asks (what revoking means for the pantarlih's phone), POST revokes."""
    token = get_object_or_404(DeviceToken.objects.select_related("user__area"), pk=pk)
    if not may_manage(request.user, token.user):
        raise Http404("Perangkat tidak ditemukan.")
    if request.method == "GET":
        return render(
            request, "kpu/device_revoke_confirm.html", {"token": token, "account": token.user}
        )
    try:
        services.device_revoke(by=request.user, token=token)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Perangkat %(p)s… dicabut: sinkronisasi berikutnya dari perangkat itu ditolak.")
            % {"p": token.prefix},
        )
    return redirect("kpu-account-devices", pk=token.user_id)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def roster_import(request: AuthedRequest) -> HttpResponse:
    """Upload a roster: every account created (their passwords shown once), or the bad rows
    listed and nothing created."""
    _require_manager(request)
    form = RosterForm(request.POST if request.method == "POST" else None, request.FILES or None)
    errors = created = None
    if request.method == "POST" and form.is_valid():
        try:
            rows = roster.read_roster(form.cleaned_data["berkas"])
            created = services.roster_import(by=request.user, rows=rows)
        except RosterInvalid as exc:
            form.add_error(None, str(exc))
            errors = exc.rows
        except DomainError as exc:
            form.add_error(None, str(exc))
    return render(
        request,
        "kpu/accounts_import.html",
        _context(request, form=form, errors=errors, created=created),
    )


@login_required
@require_GET
def roster_template(request: AuthedRequest) -> HttpResponse:
    _require_manager(request)
    response = HttpResponse(
        roster.template_workbook(request.user),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = 'attachment; filename="contoh-daftar-petugas.xlsx"'
    return response
