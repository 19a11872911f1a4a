"""The field sync API for the pantarlih's offline app, and progress figures (SPEC 6).

Mounted at /api/v1/. Devices authenticate with `Authorization: Bearer <token>` (a token from
`manage.py issue_token`; only its SHA-256 is stored). The progress endpoint also accepts a
logged-in session, so the dashboard's users can read it. Scope is the same as everywhere: an
area outside the caller's is 404.
"""

import datetime as dt
import logging
from typing import Annotated, Any

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.db.models import Max
from django.http import Http404, HttpRequest
from django.http.request import RawPostDataException
from django.utils import timezone
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, django_auth
from pydantic import ConfigDict, StrictInt, WithJsonSchema

from coklit import figures, selectors, sync
from coklit.masking import mask_nik
from coklit.models import TMS_REASONS, TpsFigures, Voter, age_on
from coklit.voter_fields import CHANGEABLE
from kpu.db_router import dashboard_reads, one_reading
from kpu.models import Area, DeviceToken, Role, User, hash_token
from kpu.scoping import area_for_user_or_404
from kpu.services import DomainError

logger = logging.getLogger("coklit.api")

api = NinjaAPI(
    title="Pantau Coklit API",
    version="1",
    description=(
        "Sinkronisasi hasil coklit dari aplikasi pantarlih dan angka progres per wilayah. "
        "Autentikasi: `Authorization: Bearer <token>` (token dari `manage.py issue_token`)."
    ),
    urls_namespace="api",
)


class DeviceTokenAuth(HttpBearer):
    """A pantarlih device's bearer token, checked by its hash.

    A token that is unknown, revoked, or whose owner is no longer an active pantarlih is refused
    with 401 and a message saying which (the device shows it, and the officer knows whom to ask).
    """

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        if not token:
            return None
        row = DeviceToken.objects.select_related("user").filter(key_hash=hash_token(token)).first()
        if row is None:
            raise AuthenticationError(
                message="Token tidak dikenal. Minta token baru ke operator KPU."
            )
        if row.revoked_at is not None:
            raise AuthenticationError(
                message="Token ini sudah dicabut. Minta token baru ke operator KPU."
            )
        user = row.user
        if not user.is_active or user.role != Role.PANTARLIH or not user.area_id:
            raise AuthenticationError(
                message="Akun pemilik token ini tidak aktif sebagai pantarlih."
            )
        app_version = sync.clean_app_version(request.headers.get("X-App-Version"))
        DeviceToken.objects.filter(pk=row.pk).update(
            last_used_at=timezone.now(), app_version=app_version or row.app_version
        )
        request.device_token = row  # type: ignore[attr-defined]
        return user


bearer = DeviceTokenAuth()


# --- errors: always a 4xx with a message the device or officer can read, never a 500 ------


def _error(request, message: str, status: int, **extra):
    return api.create_response(request, {"detail": message, **extra}, status=status)


_PYDANTIC_MESSAGES = {
    "missing": "wajib diisi",
    "extra_forbidden": "kolom tidak dikenal",
    "int_type": "harus bilangan bulat",
    "int_parsing": "harus bilangan bulat",
    "int_from_float": "harus bilangan bulat",
    "string_type": "harus teks",
    "uuid_parsing": "harus UUID",
    "uuid_type": "harus UUID",
    "list_type": "harus daftar (array)",
    "dict_type": "harus objek",
    "model_type": "harus objek",
    "model_attributes_type": "harus objek",
    "too_long": f"paling banyak {sync.MAX_EVENTS:,} kejadian".replace(",", "."),
}


@api.exception_handler(ValidationError)
def _validation_error(request, exc: ValidationError):
    problems = []
    for err in exc.errors:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "payload"))
        msg = _PYDANTIC_MESSAGES.get(err.get("type", ""), err.get("msg", ""))
        if not loc and err.get("type") == "missing":
            msg = 'isi permintaan kosong: kirim {"events": [...]}'
        problems.append(f"{loc}: {msg}" if loc else msg)
    message = "Data tidak valid: " + "; ".join(problems[:10])
    if len(problems) > 10:
        message += f"; dan {len(problems) - 10} lainnya"
    return _error(request, message, 422, errors=exc.errors)


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc: AuthenticationError):
    message = exc.message
    if message == "Unauthorized":
        message = "Perlu token perangkat (Authorization: Bearer <token>) atau login."
    return _error(request, message, 401)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    message = exc.message
    if message.startswith("Cannot parse request body"):
        message = "Isi permintaan bukan JSON yang sah."
    return _error(request, message, exc.status_code)


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, "Tidak ditemukan.", 404)


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    return _error(request, "Permintaan terlalu besar: kirim dalam beberapa bagian.", 413)


@api.exception_handler(RawPostDataException)
def _raw_post(request, exc):
    return _error(request, "Isi permintaan tidak bisa dibaca.", 400)


@api.exception_handler(DomainError)
def _domain_error(request, exc: DomainError):
    return _error(request, str(exc), 400)


# How long a device waits before retrying when the database is briefly unavailable.
RETRY_AFTER_SECONDS = 30


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def _database_unavailable(request, exc):
    """A database that is down, restarting, or gave up on a lock or statement timeout (SPEC 6:
    503 with Retry-After, never an HTML page). Nothing of the batch was applied: the event
    transaction rolled back, so the device sends the same batch again later."""
    logger.warning("API %s: database unavailable: %s", request.path, exc)
    response = _error(
        request,
        "Server sedang sibuk atau basis data tidak tersedia; tidak ada yang disimpan. "
        f"Kirim ulang dalam {RETRY_AFTER_SECONDS} detik.",
        503,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@api.exception_handler(RecursionError)
def _too_deep(request, exc):
    return _error(request, "Isi permintaan bersarang terlalu dalam.", 400)


@api.exception_handler(Exception)
def _unexpected(request, exc):
    """Anything else is our bug: logged with its traceback, and still JSON for the device."""
    logger.error("API %s: unexpected error", request.path, exc_info=exc)
    return _error(request, "Kesalahan di server; sudah dicatat. Coba lagi nanti.", 500)


# --- schemas ----------------------------------------------------------------------------------


class Strict(Schema):
    model_config = ConfigDict(extra="forbid")


class EventIn(Strict):
    """One field result, as the OpenAPI schema documents it.

    The server checks each event on its own (`sync.parse_event`), not through this model, so a
    malformed event (a wrong type, an unknown key, a bad code) is `rejected` with its reason
    while the rest of its batch stands (SPEC 6).
    """

    id: str = Field(..., description="UUID made by the device; a replayed id is a duplicate")
    # Strict: JSON true/false are not numbers (pydantic would take them as 1 and 0).
    voter: StrictInt | None = Field(None, description="voter id from the TPS list; null for BARU")
    outcome: str = Field(..., description="MS, TMS or BARU")
    tms_reason: StrictInt | None = Field(None, description="1-9 for TMS (1 and 9 need a note)")
    target_tps: StrictInt | None = Field(None, description="for TMS 8: number of the right TPS")
    note: str | None = Field(None, description="free text; the evidence for TMS 1 and 9")
    changes: dict[str, Any] | None = Field(
        None,
        description="MS with corrections (ubah): {field: new value}; fields: "
        + ", ".join(CHANGEABLE),
    )
    new_voter: dict[str, Any] | None = Field(
        None, description="BARU: the import columns (nkk, nik, nama, tanggal_lahir, ...)"
    )
    recorded_at: str = Field(..., description="when the result was recorded, ISO 8601")


# An event as sent, documented as EventIn and checked event by event in sync.parse_event.
RawEvent = Annotated[Any, WithJsonSchema(EventIn.model_json_schema())]


class SyncIn(Strict):
    events: list[RawEvent] = Field(..., max_length=sync.MAX_EVENTS)


class ResultOut(Schema):
    id: str | None
    status: str = Field(..., description="accepted, duplicate or rejected")
    error: str = Field("", description="why an event was rejected (Indonesian)")


class SyncOut(Schema):
    results: list[ResultOut]


class VoterOut(Schema):
    id: int
    nama: str
    nik: str = Field(..., description="masked as KPU publishes it: 6271**********01")
    nkk: str = Field(..., description="masked like the NIK")
    jenis_kelamin: str
    umur: int = Field(
        ...,
        description="age on voting day, in years. Not the birth date: digits 7-12 of a NIK are "
        "the birth date (+40 for women), so beside the masked NIK it narrowed the NIK to about "
        "100 candidates for whoever held a lost device's token",
    )
    alamat: str
    rt: str
    rw: str
    origin: str = Field(..., description="A (Model A list) or BARU (added in coklit)")
    status: str = Field(..., description="BELUM, MS, UBAH, TMS or BARU")
    tms_reason: int | None
    target_tps: int | None = Field(None, description="for TMS 8: the TPS the voter moves to")
    verification: str = Field(..., description="'', pending, approved or rejected")
    conflict: bool
    outcome_at: dt.datetime | None


class VoterListOut(Schema):
    tps: str
    name: str
    count: int
    pemilih: list[VoterOut]


class FiguresOut(Schema):
    code: str
    name: str
    level: int = Field(..., description="1 province, 2 regency, 3 district, 4 village, 5 TPS")
    kind: str = Field(..., description="Kecamatan, Distrik, Kelurahan, Desa, Kampung, TPS...")
    tps_count: int
    target: int = Field(..., description="voters on the starting list (Model A)")
    done: int = Field(..., description="voters of the list with an outcome")
    percent: float = Field(..., description="done / target, rounded down to 1 decimal")
    ms: int
    ubah: int
    tms: dict[str, int] = Field(..., description='TMS per reason code, "1".."9"')
    baru: int
    updated_at: str | None = Field(None, description="ISO 8601, in the election's zone")


class ProgressOut(FiguresOut):
    children: list[FiguresOut]


class ErrorOut(Schema):
    detail: str = Field(..., description="what went wrong, in Indonesian, for the officer")


class ValidationErrorOut(ErrorOut):
    errors: list[dict[str, Any]] = Field(..., description="pydantic's list of problems")


# What each kind of endpoint may answer besides its 200 (SPEC 6: 4xx with a message, 401 for
# a bad token, 404 outside the caller's scope).
# 503 (with Retry-After) when the database is briefly unavailable; 403 for a session whose
# one-time password is not yet changed (kpu.middleware.PasswordChangeRequiredMiddleware).
READ_ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 500: ErrorOut, 503: ErrorOut}
SYNC_ERRORS = {
    400: ErrorOut,
    401: ErrorOut,
    413: ErrorOut,
    422: ValidationErrorOut,
    500: ErrorOut,
    503: ErrorOut,
}


# --- endpoints --------------------------------------------------------------------------------


@api.get(
    "/tps/{tps_code}/pemilih",
    auth=bearer,
    response={200: VoterListOut, **READ_ERRORS},
    url_name="tps-pemilih",
    summary="Daftar pemilih TPS token ini",
)
def tps_voters(request, tps_code: str):
    """The voter list of the token's own TPS, with each voter's id and coklit status.

    NIK and NKK are masked (SPEC 10): the pantarlih identifies people by name, age, sex and
    address, and checks the KTP in hand against the last digits. The age, not the birth date
    (issue 15 item 15): a list on a phone can be lost with its token.
    """
    user: User = request.auth
    if tps_code != user.area_id:
        raise Http404
    tps = Area.objects.get(code=tps_code)
    pemilihan = selectors.pemilihan_for(area=tps)
    day = pemilihan.voting_day if pemilihan else timezone.localdate()
    rows = (
        Voter.objects.filter(tps=tps)
        .order_by("pk")
        .values(
            "id",
            "nama",
            "nik",
            "nkk",
            "jenis_kelamin",
            "tanggal_lahir",
            "alamat",
            "rt",
            "rw",
            "origin",
            "status",
            "tms_reason",
            "dps_tps_id",
            "verification",
            "conflict",
            "outcome_at",
        )
    )
    voters = []
    for r in rows:
        r["nik"], r["nkk"] = mask_nik(r["nik"]), mask_nik(r["nkk"])
        r["umur"] = age_on(r.pop("tanggal_lahir"), day)
        moved = r.pop("dps_tps_id")
        r["target_tps"] = int(moved.rsplit(".", 1)[1]) if moved else None
        voters.append(r)
    return {"tps": tps.code, "name": tps.title, "count": len(voters), "pemilih": voters}


@api.post(
    "/coklit/sync",
    auth=bearer,
    response={200: SyncOut, **SYNC_ERRORS},
    url_name="coklit-sync",
    summary="Kirim hasil coklit (paling banyak 1.000 kejadian)",
)
def coklit_sync(request, payload: SyncIn):
    """Apply a batch of field results; one result per event, in the same order.

    A replayed event id is `duplicate` and changes nothing, so a device can always retry.
    """
    user: User = request.auth
    tps = Area.objects.get(code=user.area_id)
    results = sync.sync_batch(
        tps=tps,
        user=user,
        events=payload.events,
        app_version=request.headers.get("X-App-Version", ""),
    )
    return {"results": results}


def _figures(area: Area, sums: dict[str, int], updated_at, pemilihan) -> dict:
    f = figures.derive(sums)
    return {
        "code": area.code,
        "name": area.name,
        "level": area.level,
        "kind": area.kind,
        "tps_count": sums.get("tps_count", 0),
        "target": f["target"],
        "done": f["done"],
        "percent": f["percent"],
        "ms": f["ms"],
        "ubah": f["ubah"],
        "tms": {str(r): f[f"tms_{r}"] for r in TMS_REASONS},
        "baru": f["baru"],
        "updated_at": _iso(updated_at, pemilihan),
    }


def _iso(value, pemilihan) -> str | None:
    if value is None:
        return None
    return (pemilihan.localtime(value) if pemilihan else timezone.localtime(value)).isoformat()


_OWN_COLUMN = figures.OWN_COLUMN
_CHILD_COLUMN = figures.CHILD_COLUMN


def _updated_at(area: Area) -> tuple[Any, dict[str, Any]]:
    """When the area's figures (and each child's) last changed: one query."""
    own = _OWN_COLUMN.get(area.level)
    if own is None:
        qs = TpsFigures.objects.filter(regency_code__below=area.code)
        return qs.aggregate(m=Max("updated_at"))["m"], {}
    qs = TpsFigures.objects.filter(**{own: area.code})
    child = _CHILD_COLUMN.get(area.level)
    if child is None:
        return qs.aggregate(m=Max("updated_at"))["m"], {}
    per_child = dict(qs.values_list(child).annotate(m=Max("updated_at")).order_by())
    return max(per_child.values(), default=None), per_child


@api.get(
    "/progress/{code}",
    auth=[bearer, django_auth],
    response={200: ProgressOut, **READ_ERRORS},
    url_name="progress",
    summary="Progres coklit sebuah wilayah dan anak-anaknya",
)
def progress(request, code: str):
    """Figures of an area within the caller's scope, and of each child area (SPEC 6)."""
    # From the replica when there is one, and in one snapshot: the area's figures equal the
    # sums of its children's even while devices sync (kpu/db_router.py).
    with dashboard_reads(), one_reading():
        area = area_for_user_or_404(request.auth, code)
        pemilihan = selectors.pemilihan_for(area=area)
        updated_at, child_updated = _updated_at(area)
        out = _figures(area, selectors.area_figures(area=area), updated_at, pemilihan)
        out["children"] = [
            _figures(child, sums, child_updated.get(child.code), pemilihan)
            for child, sums in selectors.children_figures(area=area)
        ]
    return out
