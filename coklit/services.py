"""State changes of coklit: verifying field results (SPEC 8). The plenos are in coklit.plenos.

Every function here is atomic, locks the rows it decides on (the village's pleno row first, then
voters, then events: one order everywhere, so two requests never deadlock), checks the actor's
role and area, raises DomainError with a message an officer can act on, keeps the figures of the
TPS in step in the same transaction, and writes the audit log.

Why the pleno row is locked first even by a verification: holding the pleno reads the queue
size and the figures. Holding the same row lock makes "verify" and "hold" strictly one after the
other, so no result can slip into a village between the check and the pleno.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from coklit import figures
from coklit.models import CoklitEvent, Voter, change_new_value
from coklit.plenos import lock_messages, village_editable_or_raise
from coklit.voter_fields import CHANGEABLE, CLEANERS
from kpu.models import Area, Role, User, audit
from kpu.scoping import NIK_REVEAL_ROLES, can_act
from kpu.services import DomainError, Refused

__all__ = ["Refused", "lock_messages", "village_editable_or_raise"]


# --- verification ---------------------------------------------------------------------------------


def _coerce(field: str, value):
    """The model value of a change as stored; DomainError when it cannot be one.

    The same cleaner as the sync API and the Model A upload (`voter_fields.CLEANERS`): stored
    changes passed it once already, so this only guards against older or hand-made rows.
    """
    try:
        return CLEANERS[field](value)
    except (KeyError, ValueError):
        raise DomainError(
            _("Perubahan %(field)s tidak valid (%(value)s): tolak hasil ini dengan catatan.")
            % {"field": field, "value": value}
        ) from None


def _standing_check(event: CoklitEvent, voter: Voter | None) -> None:
    if (
        voter is None
        or not event.stands
        or voter.verification != Voter.Verification.PENDING
        or event.verification in (Voter.Verification.APPROVED, Voter.Verification.REJECTED)
        or (voter.outcome_event_id and voter.outcome_event_id != event.pk)
    ):
        raise DomainError(
            _(
                "Hasil ini tidak lagi menunggu verifikasi: sudah diverifikasi atau digantikan "
                "hasil yang lebih baru. Muat ulang antrean."
            )
        )


def _approve(event: CoklitEvent, voter: Voter) -> dict:
    """Approve the standing outcome; returns what changed, for the audit log."""
    changed: dict = {}
    if (
        event.outcome == CoklitEvent.Outcome.MS
        and event.changes
        and voter.status == Voter.Status.UBAH
    ):
        for field, raw in event.changes.items():
            if field not in CHANGEABLE:  # the fields a pantarlih may correct (sync API)
                continue
            new = _coerce(field, change_new_value(raw))
            old = getattr(voter, field)
            if old != new:
                changed[field] = [str(old), str(new)]
                setattr(voter, field, new)
    if (
        voter.status == Voter.Status.TMS
        and voter.tms_reason == 8
        and voter.dps_tps_id is None
        and event.target_tps
    ):
        # The device names the target TPS by number; the DPS counts the voter there.
        target = f"{voter.village_id}.{event.target_tps:03d}"
        if not Area.objects.filter(code=target).exists():
            raise DomainError(
                _("TPS tujuan %(tps)s tidak ada di kelurahan ini: tolak hasil ini dengan catatan.")
                % {"tps": target}
            )
        voter.dps_tps_id = target
    # A plain MS needs no verification once its conflict is settled (SPEC 4).
    plain_ms = voter.status == Voter.Status.MS
    voter.verification = Voter.Verification.NONE if plain_ms else Voter.Verification.APPROVED
    return changed


def _reject(event: CoklitEvent, voter: Voter) -> None:
    """Reject the standing outcome (docs/workflow.md, "The queue").

    - TMS (and a plain MS that stood in a conflict): the voter goes back to BELUM, so the
      pantarlih visits again; the event no longer stands, so the next visit is not a conflict.
    - UBAH: the voter stays MS without the changes (the visit happened; the data did not change).
    - BARU: the new voter is kept but rejected: counted neither as baru nor in the DPS.
    """
    if voter.status in (Voter.Status.TMS, Voter.Status.MS):
        voter.status = Voter.Status.BELUM
        voter.tms_reason = None
        voter.dps_tps = None
        voter.verification = Voter.Verification.NONE
        voter.outcome_at = None
        voter.outcome_event = None
        event.stands = False
    elif voter.status == Voter.Status.UBAH:
        voter.status = Voter.Status.MS
        voter.verification = Voter.Verification.NONE
    else:  # BARU
        voter.verification = Voter.Verification.REJECTED


def _settle(event: CoklitEvent, voter: Voter, *, by: User, decision: str, note: str, now) -> dict:
    """Approve or reject one standing event of a locked voter (no figures, no audit)."""
    was_conflict = voter.conflict
    changed = _approve(event, voter) if decision == "approve" else {}
    if decision == "reject":
        _reject(event, voter)
    if was_conflict:
        # Settled: both events stay in the log, the standing outcome is the one decided on.
        voter.conflict = False
        CoklitEvent.objects.filter(voter=voter, conflict=True).exclude(pk=event.pk).update(
            conflict=False
        )
        event.conflict = False
    event.verification = Voter.Verification.APPROVED if decision == "approve" else "rejected"
    event.verified_by = by
    event.verified_at = now
    event.verification_note = note
    event.save(
        update_fields=[
            "verification",
            "verified_by",
            "verified_at",
            "verification_note",
            "stands",
            "conflict",
        ]
    )
    voter.save()
    return {"changes": changed, "conflict": was_conflict}


def _check_verifier(by: User, village: Area) -> None:
    if not can_act(by, Role.PPS, village):
        raise Refused(
            _("Hanya PPS %(village)s yang dapat memverifikasi hasil coklit di sini.")
            % {"village": village.title}
        )


@transaction.atomic
def event_verify(
    *, event: CoklitEvent, by: User, decision: str, note: str = "", tanggapan: bool = False
) -> CoklitEvent:
    """Approve or reject one result waiting in the PPS's queue (SPEC 8).

    Only a PPS of the event's village; the event must stand and wait for verification;
    a rejection needs a note (the pantarlih reads it); refused while a pleno holds the village.
    `tanggapan=True`: the result an accepted response became (SPEC 8b), which may change a
    village after coklit is closed, until its DPSHP pleno.
    """
    note = (note or "").strip()
    village = Area.objects.get(code=event.tps.parent_id)
    _check_verifier(by, village)
    if decision not in ("approve", "reject"):
        raise DomainError(_("Pilih setujui atau tolak."))
    if decision == "reject" and not note:
        raise DomainError(_("Tulis alasan penolakan agar pantarlih tahu apa yang harus diperiksa."))
    village_editable_or_raise(village, tanggapan=tanggapan)
    voter = (
        Voter.objects.select_for_update().filter(pk=event.voter_id).first()
        if event.voter_id
        else None
    )
    event = CoklitEvent.objects.select_for_update().get(pk=event.pk)
    _standing_check(event, voter)
    before = _copy(voter)
    done = _settle(event, voter, by=by, decision=decision, note=note, now=timezone.now())
    figures.apply(figures.delta([before], [voter]))
    audit(
        user=by,
        action=f"verify_{decision}",
        area_code=village.code,
        target=str(event.pk),
        note=note,
        voter=voter.pk,
        tps=event.tps_id,
        outcome=event_outcome_code(event, voter_status=before.status),
        **done,
    )
    return event


@transaction.atomic
def tps_queue_approve_all(
    *, tps: Area, by: User, event_ids: list[str] | None = None, note: str = ""
) -> int:
    """Approve every result of one TPS waiting in the queue, in one transaction.

    Conflicts are left out: each needs the PPS to look at both results and decide. When
    `event_ids` is given (the rows the PPS saw on the page), only those are approved, so a
    result synced after the page was loaded is never approved unseen.
    """
    village = Area.objects.get(code=tps.parent_id)
    _check_verifier(by, village)
    village_editable_or_raise(village)
    voters = list(
        Voter.objects.select_for_update()
        .filter(tps=tps, verification=Voter.Verification.PENDING, conflict=False)
        .order_by("pk")
    )
    events = {
        e.voter_id: e
        for e in CoklitEvent.objects.select_for_update()
        .filter(voter__in=voters, stands=True)
        .exclude(verification__in=[Voter.Verification.APPROVED, Voter.Verification.REJECTED])
        .order_by("voter_id", "recorded_at")
    }
    wanted = {str(i) for i in event_ids} if event_ids else None
    before, after, approved = [], [], []
    changes: dict[str, dict] = {}  # event id -> {field: [old, new]}: the change list reads it
    now = timezone.now()
    for voter in voters:
        event = events.get(voter.pk)
        if event is None or (voter.outcome_event_id and voter.outcome_event_id != event.pk):
            continue
        if wanted is not None and str(event.pk) not in wanted:
            continue
        before.append(_copy(voter))
        done = _settle(event, voter, by=by, decision="approve", note=note, now=now)
        if done["changes"]:
            changes[str(event.pk)] = done["changes"]
        after.append(voter)
        approved.append(str(event.pk))
    if not approved:
        raise DomainError(_("Tidak ada hasil di %(tps)s yang menunggu verifikasi.") % {"tps": tps})
    figures.apply(figures.delta(before, after))
    audit(
        user=by,
        action="verify_approve_all",
        area_code=village.code,
        target=tps.code,
        note=note,
        tps=tps.code,
        count=len(approved),
        events=approved,
        changes=changes,
    )
    return len(approved)


def _copy(voter: Voter) -> Voter:
    """A detached copy of a voter as it is now (the "before" of a figures delta)."""
    copy = Voter()
    copy.__dict__.update({k: v for k, v in voter.__dict__.items() if k != "_state"})
    return copy


def event_outcome_code(event: CoklitEvent, *, voter_status: str | None = None) -> str:
    """`MS`, `UBAH`, `TMS 4` or `BARU`: how officers name an outcome."""
    if event.outcome == CoklitEvent.Outcome.TMS:
        return f"TMS {event.tms_reason}"
    if event.outcome == CoklitEvent.Outcome.MS and event.changes:
        return "UBAH"
    return event.outcome


# --- NIK reveal -----------------------------------------------------------------------------------


def voter_nik_reveal(*, voter: Voter, by: User, reason: str) -> str:
    """The full NIK of one voter for a PPS/PPK/KPU user in scope, with the reason logged."""
    reason = (reason or "").strip()
    if by.role not in NIK_REVEAL_ROLES:
        raise Refused(_("Hanya PPS, PPK dan KPU yang dapat membuka NIK lengkap."))
    if not reason:
        raise DomainError(_("Tulis alasan membuka NIK ini; alasan dicatat di log audit."))
    audit(
        user=by,
        action="nik_reveal",
        area_code=voter.village_id,
        target=str(voter.pk),
        note=reason,
        tps=voter.tps_id,
    )
    return voter.nik


def tps_nik_reveal(*, tps: Area, by: User, reason: str) -> None:
    """The Model A worksheet of a TPS with full NIK/NKK (SPEC 6b): logged as a reveal is.

    The pantarlih checks each KTP-el against it; only the PPS of the village asks for it.
    """
    reason = (reason or "").strip()
    if by.role != Role.PPS:
        raise Refused(_("Hanya PPS yang dapat mengunduh lembar kerja dengan NIK lengkap."))
    if not reason:
        raise DomainError(
            _("Tulis alasan mengunduh NIK lengkap (`alasan`); alasan dicatat di log audit.")
        )
    audit(
        user=by,
        action="model_a_nik",
        area_code=tps.parent_id,
        target=tps.code,
        note=reason[:500],
        tps=tps.code,
    )
