"""Forms of the kpu app. They check shapes; the rules (who may give which role where) live in
kpu/services.py, so the roster import and the form answer the same."""

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from kpu.models import User, role_label
from kpu.scoping import managed_roles


class AccountForm(forms.Form):
    nama = forms.CharField(label=_("Nama lengkap"), max_length=150)
    peran = forms.ChoiceField(label=_("Peran"))
    kode_wilayah = forms.CharField(
        label=_("Kode wilayah"),
        max_length=20,
        help_text=_("Kode Kemendagri; untuk pantarlih kode TPS, mis. 62.71.01.1001.001."),
    )
    telepon = forms.CharField(label=_("Telepon"), max_length=32, required=False)

    def __init__(self, *args, by: User, **kwargs):
        super().__init__(*args, **kwargs)
        # No role chosen until the user picks one: a default would be the first and highest
        # (KPU), given by a careless Enter (issue 16).
        self.fields["peran"].choices = [("", _("— pilih peran —"))] + [
            (r.value, role_label(r, by.area_id)) for r in managed_roles(by)
        ]
        self.fields["kode_wilayah"].widget.attrs.update(
            {"list": "wilayah-pilihan", "autocomplete": "off", "inputmode": "decimal"}
        )
        self.fields["telepon"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})


class AccountCreateForm(AccountForm):
    username = forms.CharField(
        label=_("Nama pengguna"),
        max_length=150,
        required=False,
        help_text=_("Boleh kosong: dibuat dari peran dan kode wilayah."),
    )


class AccountFilterForm(forms.Form):
    """The list's filters. Read from GET; an unknown value is ignored, an area outside the
    user's scope is answered 404 by the view."""

    wilayah = forms.ChoiceField(label=_("Wilayah"), required=False)
    peran = forms.ChoiceField(label=_("Peran"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Semua")), ("aktif", _("Aktif")), ("nonaktif", _("Nonaktif"))],
    )
    q = forms.CharField(label=_("Cari"), required=False, max_length=100, widget=forms.SearchInput())

    def __init__(self, *args, by: User, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["wilayah"].choices = [("", _("Semua wilayah"))] + [
            (a.code, f"{'· ' * (a.level - 2)}{a.title} ({a.code})") for a in areas
        ]
        self.fields["peran"].choices = [("", _("Semua peran"))] + [
            (r.value, role_label(r, by.area_id)) for r in managed_roles(by)
        ]
        # The search asks as the user types; the form's hx-target and hx-push-url are
        # inherited, and the other filters come along through hx-include.
        self.fields["q"].widget.attrs.update(
            {
                "placeholder": _("nama, username, telepon, kode"),
                "hx-get": reverse("kpu-accounts"),
                "hx-trigger": "input changed delay:400ms, search",
                "hx-include": "closest form",
            }
        )


class ReasonForm(forms.Form):
    note = forms.CharField(
        label=_("Alasan (dicatat di log audit)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PairForm(forms.Form):
    revoke_others = forms.BooleanField(
        label=_("Cabut perangkat lain akun ini yang masih aktif"), required=False, initial=True
    )


class RosterForm(forms.Form):
    berkas = forms.FileField(label=_("Berkas daftar petugas (.xlsx atau .csv)"))
