"""Roster files (daftar petugas): reading an uploaded XLSX or CSV, and writing the template.

In 2024 the PPS sent their pantarlih as an Excel roster; the columns here are the ones an
officer fills in: `nama`, `peran`, `kode_wilayah`, `telepon` and, optionally, `username`.
The file is read as the voter list is (`kpu.tabular`): `Kode Wilayah` is `kode_wilayah`, and
a phone typed as a number loses Excel's `.0`.
"""

import io

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from kpu import tabular, uploads
from kpu.models import ROLE_LEVEL, ROLE_LEVELS, Area, Role, User, role_levels_label
from kpu.scoping import managed_roles
from kpu.services import DomainError

COLUMNS = ["nama", "peran", "kode_wilayah", "telepon", "username"]
REQUIRED = ["nama", "peran", "kode_wilayah"]


def read_roster(upload) -> list[tuple[int, dict]]:
    """(row number as the spreadsheet shows it, {column: text}) per non-empty data row.

    Raises DomainError for a file that cannot be read or lacks a required column.
    """
    name = (upload.name or "").lower()
    if not name.endswith((".xlsx", ".xlsm", ".csv", ".txt")):
        raise DomainError(_("Unggah berkas .xlsx atau .csv (gunakan contoh yang disediakan)."))
    # Inspected before any parser sees it: a 1.6 KB sheet claiming XFD1048576 once killed the
    # worker inside calamine (kpu/uploads.py says why).
    kind = uploads.inspect_upload(upload, limits=uploads.ROSTER)
    data = upload.read()
    if name.endswith((".xlsx", ".xlsm")) and kind != uploads.XLSX:
        raise DomainError(
            _("Berkas Excel tidak dapat dibaca. Simpan ulang sebagai .xlsx atau CSV.")
        )
    if kind == uploads.XLSX:
        try:
            table = tabular.sheet_rows(data)
        except Exception:  # noqa: BLE001 - any parser failure is the same answer to the user
            raise DomainError(
                _("Berkas Excel tidak dapat dibaca. Simpan ulang sebagai .xlsx atau CSV.")
            ) from None
    else:
        table = tabular.csv_rows(_decode(data), limits=uploads.ROSTER)
    if not table:
        raise DomainError(_("Berkas kosong: baris pertama harus berisi judul kolom."))
    columns, _twice = tabular.match_header(table[0][1])
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise DomainError(
            _("Kolom wajib tidak ada di baris judul: %(cols)s. Judul kolom: %(all)s.")
            % {"cols": ", ".join(missing), "all": ", ".join(COLUMNS)}
        )
    return [
        (
            number,
            {
                name: tabular.cell_text(cells[i]) if i < len(cells) else ""
                for name, i in columns.items()
            },
        )
        for number, cells in table[1:]
    ]


def _decode(data: bytes) -> str:
    """CSV as saved by Excel: UTF-8 (with or without BOM) or Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _areas_to_give(user: User, levels: set[int]) -> QuerySet[Area]:
    """The areas of these levels within the user's own area, which the template offers. A
    superuser without an area would get the whole country: none (they use the admin instead)."""
    if not user.area_id:
        return Area.objects.none()
    return Area.objects.filter(code__within=user.area_id, level__in=levels)


def _example_rows(user: User) -> list[list[str]]:
    """Example rows the user may actually import: a pantarlih, and a PPS if they may give one."""
    rows = []
    names = ["Yohana Wenda", "Agus Santoso"]
    # The field committees (a pantarlih, a PPS): the roster is mostly theirs, not the supervisor's.
    roles = [r for r in managed_roles(user) if r != Role.BAWASLU]
    for role, name in zip(reversed(roles[-2:]), names, strict=False):
        area = _areas_to_give(user, {ROLE_LEVEL[role]}).order_by("code").first()
        if area is not None:
            rows.append([name, str(role), area.code, "081234567890", ""])
    return rows


def template_workbook(user: User) -> bytes:
    """The roster template: the header row, example rows, and a sheet listing the roles and
    area codes this user may give (officers copy the codes from it)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Daftar petugas"
    ws.append(COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in _example_rows(user):
        ws.append(row)
    # Text format, so Excel keeps `62.71.01.1001.001` and `0812…` as typed (not as numbers).
    for col, width in zip("ABCDE", (32, 12, 22, 18, 28), strict=True):
        ws.column_dimensions[col].width = width
        for row in range(2, 501):
            ws[f"{col}{row}"].number_format = "@"
    ws.freeze_panes = "A2"

    help_ws = wb.create_sheet("Petunjuk")
    help_ws.append([_("Isi satu baris per petugas di lembar 'Daftar petugas'.")])
    help_ws.append(
        [_("Kolom wajib: nama, peran, kode_wilayah. telepon dan username boleh kosong.")]
    )
    help_ws.append(
        [_("Username kosong dibuat otomatis dari peran dan kode wilayah, mis. pantarlih-<kode>.")]
    )
    help_ws.append(
        [_("Jika satu baris salah, tidak ada akun yang dibuat; daftar kesalahan ditampilkan.")]
    )
    help_ws.append([])
    help_ws.append(["peran", _("tingkat wilayah")])
    for role in managed_roles(user):
        help_ws.append([str(role), role_levels_label(role)])
    help_ws.append([])
    help_ws.append(["kode_wilayah", "nama", _("tingkat")])
    for cell in help_ws[help_ws.max_row]:
        cell.font = Font(bold=True)
    levels = {level for r in managed_roles(user) for level in ROLE_LEVELS[r]}
    areas = _areas_to_give(user, levels).select_related("parent").order_by("code")
    for area in areas.iterator():
        name = area.title
        if area.level == Area.Level.TPS and area.parent is not None:
            name = f"{area.title} {area.parent.title}"
        help_ws.append([area.code, name, str(Area.Level(area.level).label)])
    help_ws.column_dimensions["A"].width = 22
    help_ws.column_dimensions["B"].width = 40
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
