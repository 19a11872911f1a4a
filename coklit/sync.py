"""Applying a batch of field results from a pantarlih's device (SPEC 6).

Devices work offline and send whatever they have when they find a signal, so a batch may be a
retry, may arrive late or out of order, and another pantarlih of the same TPS may have recorded
the same voter. The rules that make that harmless:

- an event id (the device's UUID) is applied once; seen again it is a `duplicate`;
- the event recorded last stands for the voter; an older one is kept in the log only;
- two events that give one voter different outcomes are both marked as a conflict and the
  voter goes to the PPS's queue: never a silent overwrite;
- each event is applied all or nothing, in the same transaction as its voter and the figures;
  the figures of a TPS change once per batch, not once per event.

How: the batch's voters are locked, every event is checked and applied in memory in order, and
then the whole batch is written in one savepoint by a handful of bulk statements. A savepoint
and an INSERT per event cost three round trips each: 1.5-3 s for 1,000 events on this machine,
against SPEC 10's "well under a second". The one thing that can fail after the checks is a
concurrent request committing the same event id first; then the savepoint is rolled back and
the batch applied again, that id now a duplicate. Either way an event is in entirely or not
at all.
"""

import copy
import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from coklit import figures, selectors
from coklit.importer import MAX_AGE, VOTING_AGE, nik_flags
from coklit.models import TMS_NOTE_REQUIRED, CoklitEvent, Flag, Voter, age_on
from coklit.plenos import lock_messages
from coklit.voter_fields import clean_changes, clean_new_voter
from kpu.models import Area, User
from kpu.services import DomainError
from kpu.text import unstorable

MAX_EVENTS = 1000
# How often a batch is re-applied when a concurrent request commits one of its ids first.
RACE_RETRIES = 3
EVENT_KEYS = {
    "id",
    "voter",
    "outcome",
    "tms_reason",
    "target_tps",
    "note",
    "changes",
    "new_voter",
    "recorded_at",
}
MAX_NOTE = 2000
# A device clock may run a little ahead; a day ahead is a wrong clock, and an event stamped in
# the future would stand over every later result for its voter. Late results are fine: a
# device may sync long after the coklit (and SPEC 5's example election is in 2024). Only a time
# before the previous five-year election cycle (of the election's coklit start, or of now) is a
# reset clock.
FUTURE_TOLERANCE = dt.timedelta(days=1)
PAST_LIMIT = dt.timedelta(days=5 * 366)

PENDING = Voter.Verification.PENDING


class Rejected(Exception):
    """An event that cannot be applied; the message tells the pantarlih why (Indonesian)."""


@dataclass
class Event:
    """One event as parsed from the device's JSON, before it meets the database."""

    id: uuid.UUID
    outcome: str
    voter_id: int | None
    tms_reason: int | None
    target_tps: int | None
    note: str
    changes: dict[str, Any]
    new_voter: dict[str, Any]
    recorded_at: dt.datetime

    @property
    def needs_verification(self) -> bool:
        # SPEC 4: TMS, BARU and ubah wait for the PPS; a plain MS needs nobody.
        return self.outcome != CoklitEvent.Outcome.MS or bool(self.changes)


def outcome_key(outcome: str, tms_reason, target_tps, changes) -> tuple:
    """What two results must agree on to be "the same outcome" for a voter."""
    return (
        outcome,
        tms_reason if outcome == "TMS" else None,
        target_tps if outcome == "TMS" and tms_reason == 8 else None,
        tuple(sorted((changes or {}).items())) if outcome == "MS" else (),
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# An event is an object whose `changes` and `new_voter` hold plain values (a list at most, for
# `disabilitas`): four levels of nesting is all a real one has.
MAX_DEPTH = 4


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Does `value` nest objects or arrays more than `limit` levels? Iterative, stops early."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list | tuple):
            if depth > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return False


# What ISO 8601 and PostgreSQL agree a time zone offset is on Earth (SPEC 6): -12:00..+14:00.
# Python takes up to ±23:59 and PostgreSQL refused `+23:59` with an error that lost the batch.
MIN_OFFSET = dt.timedelta(hours=-12)
MAX_OFFSET = dt.timedelta(hours=14)


def clean_app_version(value: str | None) -> str:
    """The X-App-Version header as stored: printable, at most 40 characters."""
    return "".join(ch for ch in (value or "") if ch.isprintable())[:40]


def parse_event(
    raw: Any, *, tzinfo: dt.tzinfo, now: dt.datetime, earliest: dt.datetime | None = None
) -> Event:
    """Check one event on its own (no database): shape, codes, required parts."""
    if not isinstance(raw, dict):
        raise Rejected("Kejadian harus berupa objek JSON.")
    if too_deep(raw):
        raise Rejected(
            f"Kejadian bersarang terlalu dalam (lebih dari {MAX_DEPTH} tingkat objek/array)."
        )
    if unstorable(raw):
        raise Rejected("Teks kejadian berisi karakter yang tidak sah (NUL atau surrogate).")
    unknown = sorted(set(raw) - EVENT_KEYS)
    if unknown:
        raise Rejected(f"Kolom tidak dikenal: {', '.join(unknown)}.")
    try:
        event_id = raw["id"] if isinstance(raw.get("id"), uuid.UUID) else uuid.UUID(raw["id"])
    except (KeyError, TypeError, ValueError, AttributeError):
        raise Rejected("`id` harus UUID buatan perangkat.") from None

    outcome = raw.get("outcome")
    if outcome not in CoklitEvent.Outcome.values:
        raise Rejected("`outcome` harus MS, TMS atau BARU.")
    recorded_at = _parse_time(
        raw.get("recorded_at"), tzinfo=tzinfo, now=now, earliest=earliest or now - PAST_LIMIT
    )

    voter = raw.get("voter")
    tms_reason = raw.get("tms_reason")
    target_tps = raw.get("target_tps")
    note = raw.get("note") or ""
    changes = raw.get("changes")
    new_voter = raw.get("new_voter")
    if changes is not None and not isinstance(changes, dict):
        raise Rejected("`changes` harus berupa objek {kolom: nilai baru}.")
    if new_voter is not None and not isinstance(new_voter, dict):
        raise Rejected("`new_voter` harus berupa objek {kolom: nilai}.")
    changes, new_voter = changes or {}, new_voter or {}
    if not isinstance(note, str):
        raise Rejected("`note` harus berupa teks.")
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise Rejected(f"`note` paling panjang {MAX_NOTE} karakter.")

    if outcome == "BARU":
        if voter is not None:
            raise Rejected("Pemilih baru tidak memakai `voter`: datanya dikirim di `new_voter`.")
        if tms_reason is not None or target_tps is not None or changes:
            raise Rejected("Pemilih baru tidak memakai `tms_reason`, `target_tps` atau `changes`.")
        try:
            new_voter = clean_new_voter(new_voter)
        except ValueError as exc:
            raise Rejected(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from None
        return Event(event_id, outcome, None, None, None, note, {}, new_voter, recorded_at)

    if voter is None:
        raise Rejected(f"Hasil {outcome} perlu `voter`: id pemilih dari daftar TPS.")
    if not _is_int(voter):
        raise Rejected("`voter` harus bilangan bulat: id pemilih dari daftar TPS.")
    if new_voter:
        raise Rejected("`new_voter` hanya untuk pemilih baru (BARU).")
    if outcome == "MS":
        if tms_reason is not None or target_tps is not None:
            raise Rejected("`tms_reason` dan `target_tps` hanya untuk hasil TMS.")
        try:
            changes = clean_changes(changes)
        except ValueError as exc:
            raise Rejected(f"{str(exc)[0].upper()}{str(exc)[1:]}.") from None
        return Event(event_id, outcome, voter, None, None, note, changes, {}, recorded_at)

    # TMS
    if not _is_int(tms_reason) or not 1 <= tms_reason <= 9:
        raise Rejected("Hasil TMS perlu `tms_reason` 1 sampai 9.")
    if changes:
        raise Rejected("`changes` hanya untuk hasil MS (ubah data); TMS tidak mengubah data.")
    if tms_reason in TMS_NOTE_REQUIRED and not note:
        what = "bukti kematian (mis. surat keterangan kematian)" if tms_reason == 1 else "alasannya"
        raise Rejected(f"TMS alasan {tms_reason} perlu catatan (`note`): tuliskan {what}.")
    if tms_reason == 8:
        if not _is_int(target_tps) or target_tps < 1:
            raise Rejected("TMS 8 (salah penempatan TPS) perlu `target_tps`: nomor TPS yang benar.")
    elif target_tps is not None:
        raise Rejected("`target_tps` hanya untuk TMS 8 (salah penempatan TPS).")
    return Event(event_id, outcome, voter, tms_reason, target_tps, note, {}, {}, recorded_at)


def _parse_time(
    value: Any, *, tzinfo: dt.tzinfo, now: dt.datetime, earliest: dt.datetime
) -> dt.datetime:
    if not isinstance(value, str):
        raise Rejected("`recorded_at` harus waktu ISO 8601, mis. 2024-07-01T09:30:00+07:00.")
    try:
        when = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise Rejected(
            "`recorded_at` harus waktu ISO 8601, mis. 2024-07-01T09:30:00+07:00."
        ) from None
    if timezone.is_naive(when):
        # A device without an offset keeps the local time of the election's zone.
        when = when.replace(tzinfo=tzinfo)
    elif not MIN_OFFSET <= when.utcoffset() <= MAX_OFFSET:
        raise Rejected(
            "`recorded_at` memakai selisih zona waktu di luar -12:00..+14:00: periksa pengaturan "
            "zona waktu perangkat."
        )
    if when > now + FUTURE_TOLERANCE:
        raise Rejected("`recorded_at` ada di masa depan: periksa jam dan tanggal perangkat.")
    if when < earliest:
        raise Rejected(
            "`recorded_at` jauh sebelum masa coklit (lebih dari lima tahun): periksa jam dan "
            "tanggal perangkat."
        )
    return when


def _result(raw: Any, status: str, error: str = "") -> dict:
    raw_id = raw.get("id") if isinstance(raw, dict) else None
    return {"id": str(raw_id) if raw_id is not None else None, "status": status, "error": error}


def known_event_ids(ids: list[uuid.UUID]) -> set[uuid.UUID]:
    return set(CoklitEvent.objects.filter(pk__in=ids).values_list("pk", flat=True))


def sync_batch(
    *,
    tps: Area,
    user: User,
    events: list[dict],
    app_version: str,
    source: str = CoklitEvent.Source.DEVICE,
    tanggapan: bool = False,
) -> list[dict]:
    """Apply a device's batch for `tps`; one result per event, in order.

    `tanggapan=True`: an accepted response, which may change a village after coklit is closed
    until its DPSHP pleno (`plenos.lock_messages`).

    Each result is `{"id", "status": accepted|duplicate|rejected, "error"}`. Raises DomainError
    only for a batch that is refused as a whole (too many events).

    `source` says where the results came from: a device, or the PPS operator entering the
    paper Model A (`coklit.paper`); `user` is who sent or entered them. Paper results go
    through exactly these rules; only a device's batch counts as the TPS's last sync.
    """
    if len(events) > MAX_EVENTS:
        raise DomainError(
            f"Paling banyak {MAX_EVENTS:,} kejadian per sinkronisasi (dikirim {len(events):,}); "
            "kirim dalam beberapa bagian.".replace(",", ".")
        )
    app_version = clean_app_version(app_version)
    pemilihan = selectors.pemilihan_for(area=tps)
    tzinfo = pemilihan.tzinfo if pemilihan else timezone.get_current_timezone()
    now = timezone.now()
    earliest = now - PAST_LIMIT
    if pemilihan:
        start = dt.datetime.combine(pemilihan.coklit_start, dt.time(), tzinfo)
        earliest = min(earliest, start - PAST_LIMIT)

    results: list[dict | None] = [None] * len(events)
    parsed: dict[int, Event] = {}
    for i, raw in enumerate(events):
        try:
            parsed[i] = parse_event(raw, tzinfo=tzinfo, now=now, earliest=earliest)
        except Rejected as exc:
            results[i] = _result(raw, "rejected", str(exc))

    with transaction.atomic():
        for attempt in range(RACE_RETRIES + 1):
            batch = _Batch(tps=tps, user=user, app_version=app_version, now=now, tzinfo=tzinfo)
            batch.source = source
            batch.tanggapan = tanggapan
            batch.voting_day = pemilihan.voting_day if pemilihan else now.astimezone(tzinfo).date()
            batch.load(parsed.values())
            outcome = list(results)
            for i, event in parsed.items():
                if event.id in batch.seen:
                    outcome[i] = _result(events[i], "duplicate")
                    continue
                try:
                    batch.check(event)
                except Rejected as exc:
                    outcome[i] = _result(events[i], "rejected", str(exc))
                    continue
                batch.apply(event)
                batch.seen.add(event.id)
                outcome[i] = _result(events[i], "accepted")
            try:
                with transaction.atomic():
                    batch.write()
                break
            except IntegrityError:
                # Another request committed some of these ids after we looked (our insert
                # waited for it). Nothing of this attempt is kept; the next one sees those ids
                # as duplicates and applies the rest.
                if attempt == RACE_RETRIES:
                    raise
    return outcome  # type: ignore[return-value]


def new_voter_flags(data: dict, *, voting_day: dt.date) -> list[str]:
    """What a PPS should look at in a new voter: the import's checks of a single row (NIK date
    part vs birth date and sex, over 120, under 17 on voting day and never married)."""
    born = data["tanggal_lahir"]
    flags = nik_flags(data["nik"], born, data["jenis_kelamin"])
    age = age_on(born, voting_day)
    if age > MAX_AGE:
        flags.append(Flag.OVER_120.value)
    if age < VOTING_AGE and data.get("status_kawin") == "B":
        flags.append(Flag.UNDERAGE.value)
    return flags


class _Batch:
    """The state of one batch between loading (with locks) and writing the figures."""

    def __init__(self, *, tps, user, app_version, now, tzinfo):
        self.tps = tps
        self.user = user
        self.app_version = app_version
        self.now = now
        self.tzinfo = tzinfo
        self.tanggapan = False
        self.accepted = 0
        self.dirty: set[int] = set()
        self.new_voters: list[tuple[Voter, CoklitEvent]] = []
        self.rows: list[CoklitEvent] = []
        self.first_done_at: dict[int, dt.datetime] = {}
        self.superseded: set[uuid.UUID] = set()
        self.conflicted: set[uuid.UUID] = set()
        self.to_pending: set[uuid.UUID] = set()
        self.cleared: set[uuid.UUID] = set()
        self.source = CoklitEvent.Source.DEVICE

    def load(self, events) -> None:
        tps = self.tps
        # Batches of one TPS (two pantarlih, or a device retrying while the first request is
        # still running) apply one after the other: the second then sees the first's events
        # as duplicates. NO KEY UPDATE does not block inserts that reference the TPS.
        list(Area.objects.select_for_update(no_key=True).filter(pk=tps.pk).values_list("pk"))
        self.village = Area.objects.get(pk=tps.parent_id)
        # The village's pleno row, share-locked: a hold (FOR UPDATE) waits for syncs in flight,
        # and syncs after it see it held. No result slips into a held village (SPEC 8).
        self.locked = lock_messages(
            [self.village.code], lock="share", tanggapan=self.tanggapan
        ).get(self.village.code, "")

        events = list(events)
        # An id no database column can hold is simply not on the list (and must not reach SQL).
        voter_ids = sorted(
            {e.voter_id for e in events if e.voter_id is not None and 0 < e.voter_id < 2**63}
        )
        # Locked in id order, so two transactions touching the same voters cannot deadlock.
        # Voters of other TPS are not even read: for this device they do not exist.
        self.voters = {
            v.pk: v
            for v in Voter.objects.select_for_update()
            .filter(pk__in=voter_ids, tps=tps)
            .order_by("pk")
        }
        self.before = {pk: copy.copy(v) for pk, v in self.voters.items()}
        self.seen = known_event_ids([e.id for e in events])
        standing_ids = [v.outcome_event_id for v in self.voters.values() if v.outcome_event_id]
        self.events = {e.pk: e for e in CoklitEvent.objects.filter(pk__in=standing_ids)}
        self.tps_numbers = {
            int(code.rsplit(".", 1)[1])
            for code in Area.objects.filter(
                parent_id=self.village.code, level=Area.Level.TPS
            ).values_list("code", flat=True)
        }
        new_niks = [e.new_voter["nik"] for e in events if e.outcome == "BARU"]
        self.niks: dict[str, Voter] = {}
        if new_niks:
            self.niks = {
                v.nik: v for v in Voter.objects.filter(tps=tps, nik__in=new_niks).only("pk", "nik")
            }

    def check(self, event: Event) -> None:
        """Checks against the database state; raises Rejected."""
        if self.locked:
            raise Rejected(self.locked)
        if event.outcome == "BARU":
            data = event.new_voter
            if "village" in data and str(data["village"]).strip() != self.village.code:
                raise Rejected(
                    f"Pemilih baru dicatat di {self.village.code}, bukan {data['village']}: "
                    "token ini untuk " + self.tps.code + "."
                )
            if "tps" in data and str(data["tps"]).strip().lstrip("0") != str(self.tps.tps_number):
                raise Rejected(
                    f"Pemilih baru dicatat di TPS {self.tps.tps_number:03d} (TPS token ini), "
                    f"bukan TPS {data['tps']}."
                )
            if data["nik"] in self.niks:
                known = self.niks[data["nik"]].pk
                raise Rejected(
                    f"NIK ini sudah ada di daftar TPS {self.tps.tps_number:03d}"
                    + (f" (pemilih {known})" if known else "")
                    + ": catat hasil coklit pemilih itu, bukan pemilih baru."
                )
            return
        voter = self.voters.get(event.voter_id)
        if voter is None:
            raise Rejected(f"Pemilih {event.voter_id} tidak ada di daftar TPS {self.tps.code}.")
        if voter.origin == Voter.Origin.BARU:
            raise Rejected(
                f"Pemilih {voter.pk} ditambahkan sebagai pemilih baru; datanya diperiksa PPS, "
                "bukan dicoklit ulang."
            )
        if event.tms_reason == 8:
            if event.target_tps == self.tps.tps_number:
                raise Rejected("TMS 8: `target_tps` harus TPS lain, bukan TPS pemilih sekarang.")
            if event.target_tps not in self.tps_numbers:
                raise Rejected(
                    f"TMS 8: TPS {event.target_tps:03d} tidak ada di {self.village.title}."
                )

    def apply(self, event: Event) -> None:
        """Change the voter (or make a new one) in memory; `write` stores it all at once."""
        if event.outcome == "BARU":
            self._new_voter(event)
            return
        voter = self.voters[event.voter_id]
        standing = self.events.get(voter.outcome_event_id)
        if voter.outcome_at is None:
            newer = True
        elif event.recorded_at != voter.outcome_at:
            newer = event.recorded_at > voter.outcome_at
        else:  # the same instant: a fixed order, so replays in any order end the same way
            newer = str(event.id) > str(voter.outcome_event_id or "")
        key = outcome_key(event.outcome, event.tms_reason, event.target_tps, event.changes)
        differs = standing is not None and key != outcome_key(
            standing.outcome, standing.tms_reason, standing.target_tps, standing.changes
        )
        clear_standing = False
        if differs:
            verification = PENDING
        elif standing is None:
            verification = PENDING if event.needs_verification else ""
        elif newer:
            # The same outcome again (a re-visit, a reinstalled app): it takes over the standing
            # event's verification, so the PPS does not decide one outcome twice, and the queue
            # keeps one entry for it.
            verification = standing.verification
            clear_standing = standing.verification == PENDING and not standing.conflict
        else:
            verification = ""  # the same outcome as the later, standing event: nothing new
        row = CoklitEvent(
            id=event.id,
            tps=self.tps,
            voter_id=voter.pk,
            outcome=event.outcome,
            tms_reason=event.tms_reason,
            target_tps=event.target_tps,
            note=event.note,
            changes=event.changes,
            recorded_at=event.recorded_at,
            received_at=self.now,
            user=self.user,
            app_version=self.app_version,
            source=self.source,
            stands=newer,
            conflict=differs,
            verification=verification,
        )
        self.rows.append(row)

        self.accepted += 1
        self.dirty.add(voter.pk)
        if self.before[voter.pk].status == Voter.Status.BELUM:
            first = self.first_done_at.get(voter.pk)
            if first is None or event.recorded_at < first:
                self.first_done_at[voter.pk] = event.recorded_at
        if differs:
            standing.conflict = True
            self.conflicted.add(standing.pk)
            if not standing.verification:
                standing.verification = PENDING
                self.to_pending.add(standing.pk)
            voter.conflict = True
            voter.verification = PENDING
        if newer:
            if standing is not None:
                standing.stands = False
                self.superseded.add(standing.pk)
                if clear_standing:
                    standing.verification = ""
                    self.cleared.add(standing.pk)
            if event.outcome == "MS":
                voter.status = Voter.Status.UBAH if event.changes else Voter.Status.MS
                voter.tms_reason = None
                voter.dps_tps_id = None
            else:
                voter.status = Voter.Status.TMS
                voter.tms_reason = event.tms_reason
                voter.dps_tps_id = (
                    f"{self.village.code}.{event.target_tps:03d}" if event.tms_reason == 8 else None
                )
            if standing is None:
                # The voter's first result: a plain MS is final, the rest wait for the PPS.
                voter.verification = verification
            voter.outcome_at = event.recorded_at
            voter.outcome_event_id = row.pk
            self.events[row.pk] = row
        # An identical result leaves the voter's verification where it was.

    def _new_voter(self, event: Event) -> None:
        data = {k: v for k, v in event.new_voter.items() if k not in ("village", "tps")}
        voter = Voter(
            # Flagged as an imported row would be (SPEC 4/5): the PPS decides.
            flags=",".join(new_voter_flags(data, voting_day=self.voting_day)),
            tps=self.tps,
            village=self.village,
            origin=Voter.Origin.BARU,
            status=Voter.Status.BARU,
            verification=PENDING,
            outcome_at=event.recorded_at,
            # The event is inserted after the voter; the foreign key is checked at commit.
            outcome_event_id=event.id,
            updated_at=self.now,
            **data,
        )
        new_voter = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in data.items()}
        row = CoklitEvent(
            id=event.id,
            tps=self.tps,
            outcome=event.outcome,
            note=event.note,
            new_voter=new_voter,
            recorded_at=event.recorded_at,
            received_at=self.now,
            user=self.user,
            app_version=self.app_version,
            source=self.source,
            verification=PENDING,
        )
        self.rows.append(row)
        self.new_voters.append((voter, row))
        self.niks[voter.nik] = voter
        self.accepted += 1

    def write(self) -> None:
        """Store the batch: new voters, the events, the voters' outcomes, the flags of earlier
        events and the figures; a handful of statements, whatever the size of the batch."""
        if self.new_voters:
            Voter.objects.bulk_create([v for v, _ in self.new_voters])
            for voter, row in self.new_voters:
                row.voter = voter
        CoklitEvent.objects.bulk_create(self.rows)
        changed = [self.voters[pk] for pk in sorted(self.dirty)]
        for v in changed:
            v.updated_at = self.now
        write_outcomes(changed)
        # Earlier events whose flags changed; events of this batch were inserted as they end.
        inserted = {row.pk for row in self.rows}
        if superseded := self.superseded - inserted:
            CoklitEvent.objects.filter(pk__in=superseded).update(stands=False)
        if conflicted := self.conflicted - inserted:
            CoklitEvent.objects.filter(pk__in=conflicted).update(conflict=True)
        if to_pending := self.to_pending - inserted:
            CoklitEvent.objects.filter(pk__in=to_pending).update(verification=PENDING)
        if cleared := self.cleared - self.to_pending - inserted:
            CoklitEvent.objects.filter(pk__in=cleared).update(verification="")

        total = figures.delta(
            [self.before[v.pk] for v in changed], [*changed, *(v for v, _ in self.new_voters)]
        )
        if self.accepted:
            total.setdefault(self.tps.code, Counter())["results"] += self.accepted
        # Paper results are not a sync of the pantarlih's phone: the reconciliation's "last
        # sync" and app version stay the device's.
        device = self.source == CoklitEvent.Source.DEVICE
        figures.apply(total, synced={self.tps.code: self.app_version} if device else None)

        done: Counter = Counter()
        for pk, at in self.first_done_at.items():
            v = self.voters[pk]
            if v.origin == Voter.Origin.LIST and v.status != Voter.Status.BELUM:
                done[(self.tps.code, at.astimezone(self.tzinfo).date())] += 1
        if done:
            figures.record_daily(dict(done))


OUTCOME_COLUMNS = (
    # (field, PostgreSQL array type)
    ("status", "text"),
    ("tms_reason", "smallint"),
    ("dps_tps_id", "text"),
    ("verification", "text"),
    ("conflict", "boolean"),
    ("outcome_at", "timestamptz"),
    ("outcome_event_id", "uuid"),
    ("updated_at", "timestamptz"),
)


def write_outcomes(voters: list[Voter]) -> None:
    """Write the coklit state of these voters: one statement on PostgreSQL.

    Django's bulk_update builds a CASE per row and column: 7 s for 1,000 voters here, against
    a few milliseconds for one UPDATE joined to unnest()ed arrays.
    """
    if not voters:
        return
    if connection.vendor != "postgresql":
        for v in voters:
            Voter.objects.filter(pk=v.pk).update(**{f: getattr(v, f) for f, _ in OUTCOME_COLUMNS})
        return
    table = Voter._meta.db_table
    sets = ", ".join(f"{f} = d.{f}" for f, _ in OUTCOME_COLUMNS)
    arrays = ", ".join(f"%s::{t}[]" for _, t in OUTCOME_COLUMNS)
    names = ", ".join(f for f, _ in OUTCOME_COLUMNS)
    params = [[v.pk for v in voters]]
    params += [[getattr(v, f) for v in voters] for f, _ in OUTCOME_COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS v SET {sets} FROM unnest(%s::bigint[], {arrays}) "
            f"AS d(id, {names}) WHERE v.id = d.id",
            params,
        )
