"""The demo of a real regency: election, TPS sized like reality, users for every role.

Voters are added on top of this by `seed_voters` (through the importer), and coklit progress by
`seed_progress` (through the sync service of the API, as devices would send it).
"""

import datetime as dt
import random
import time
import uuid

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from coklit import sync
from coklit.figures import ensure_tps
from coklit.importer import import_table
from coklit.models import TpsFigures, Voter
from coklit.synthetic import VoterFactory, as_table
from kpu.models import Area, Pemilihan, Role, User, role_label
from kpu.services import pemilihan_create

DEMO_PASSWORD = "coklit-demo-2026"
# Real sizes (2024): TPS and voters per regency; elsewhere about 4 TPS a village.
REAL_SIZES = {"62.71": (415, 217_584), "94.04": (497, 224_514)}
MAX_VOTERS_PER_TPS = 600


def demo_username(role: str, code: str) -> str:
    return f"{role}-{code}"


def tps_plan(villages: list[Area], total_tps: int, rng: random.Random) -> dict[str, int]:
    """How many TPS each village gets: at least one, the rest spread by random weights."""
    weights = [rng.uniform(0.3, 3.0) for _ in villages]
    spare = max(total_tps - len(villages), 0)
    total_w = sum(weights)
    counts = {v.code: 1 + int(spare * w / total_w) for v, w in zip(villages, weights, strict=True)}
    short = total_tps - sum(counts.values())
    for v in rng.sample(villages, k=min(max(short, 0), len(villages))):
        counts[v.code] += 1
    return counts


@transaction.atomic
def seed_structure(*, regency: Area, seed: int = 1, today: dt.date | None = None) -> dict:
    """Election, TPS and users of the demo; reuses what a previous run made."""
    rng = random.Random(seed)
    today = today or timezone.localdate()
    pemilihan = Pemilihan.objects.filter(regency=regency).first()
    if pemilihan is None:
        # A 30-day coklit period around today, so "expected by today" means something.
        start = today - dt.timedelta(days=18)
        pemilihan, _ = pemilihan_create(
            regency=regency,
            name=f"Pemilihan Serentak {today.year} (demo)",
            coklit_start=start,
            coklit_end=start + dt.timedelta(days=29),
            voting_day=start + dt.timedelta(days=120),
        )
    villages = list(Area.objects.filter(level=Area.Level.VILLAGE, code__below=regency.code))
    if not villages:
        raise ValueError(
            f"{regency.code} has no villages: run import_wilayah --regency {regency.code}"
        )
    tps_count, _voters = REAL_SIZES.get(regency.code, (len(villages) * 4, 0))
    tps_by_village: dict[str, list[Area]] = {}
    existing = Area.objects.filter(level=Area.Level.TPS, code__below=regency.code)
    if existing.exists():
        for t in existing:
            tps_by_village.setdefault(t.parent_id, []).append(t)
    else:
        plan = tps_plan(villages, tps_count, rng)
        for v in villages:
            tps_by_village[v.code] = list(ensure_tps(v, range(1, plan[v.code] + 1)).values())

    users = []
    password = User(username="x")
    password.set_password(DEMO_PASSWORD)
    areas = [(Role.KPU, regency)]
    areas += [(Role.PPK, d) for d in Area.objects.filter(parent=regency)]
    areas += [(Role.PPS, v) for v in villages]
    areas += [(Role.PANTARLIH, t) for ts in tps_by_village.values() for t in ts]
    # The supervisor at its three levels: Bawaslu, Panwaslu Kecamatan, Panwaslu Kelurahan/Desa.
    areas += [(Role.BAWASLU, regency)]
    areas += [(Role.BAWASLU, d) for d in Area.objects.filter(parent=regency)]
    areas += [(Role.BAWASLU, v) for v in villages]
    have = set(
        User.objects.filter(username__in=[demo_username(r, a.code) for r, a in areas]).values_list(
            "username", flat=True
        )
    )
    first_names = [
        "Rina",
        "Yusuf",
        "Dewi",
        "Agus",
        "Maria",
        "Hendra",
        "Sari",
        "Natalis",
        "Yohana",
        "Budi",
    ]
    for role, area in areas:
        username = demo_username(role, area.code)
        if username in have:
            continue
        users.append(
            User(
                username=username,
                role=role,
                area=area,
                password=password.password,
                first_name=rng.choice(first_names),
                last_name=f"({role_label(role, area.code)} {area.name})"[:150],
            )
        )
    User.objects.bulk_create(users, batch_size=2000)
    return {
        "pemilihan": pemilihan,
        "tps": sum(len(ts) for ts in tps_by_village.values()),
        "villages": len(villages),
        "users_created": len(users),
    }


def example_logins(regency: Area) -> list[tuple[str, str]]:
    """One login per role, the first area of each level, for the printout."""
    out = []
    for role in Role:
        # Demo accounts only (`kpu-62.71`, ...): they are the ones with the demo password.
        users = (
            User.objects.filter(
                role=role, area__code__within=regency.code, username__startswith=f"{role}-"
            )
            .order_by("area__code")
            .select_related("area")
        )
        demo = [u for u in users if u.username == demo_username(role, u.area_id)]
        # The supervisor at the regency and at the first village (the PKD files saran).
        picked = demo[:1]
        if role == Role.BAWASLU:
            picked = [u for u in demo if u.area.level == Area.Level.REGENCY][:1]
            picked += [u for u in demo if u.area.level == Area.Level.VILLAGE][:1]
        for user in picked:
            out.append((user.username, f"{user.role_label} · {user.area.title}"))
    return out


# --- voters -----------------------------------------------------------------------------------


def planned_voters(tps_code: str, per_tps: int, seed: int) -> int:
    """How many voters a demo TPS gets: per_tps give or take 10%, never over 600 (SPEC 5)."""
    rng = random.Random(f"{seed}:{tps_code}")
    spread = per_tps // 10
    return max(1, min(MAX_VOTERS_PER_TPS, per_tps + rng.randint(-spread, spread)))


def seed_voters(*, regency: Area, voters_per_tps: int, seed: int = 1) -> dict:
    """Synthetic voters for every TPS of the regency that has fewer than planned.

    Goes through the importer (the same checks, flags, COPY and figures as a real list), in one
    transaction. A second run finds every TPS full and adds nothing.
    """
    pemilihan = Pemilihan.objects.filter(regency=regency).first()
    voting_day = pemilihan.voting_day if pemilihan else timezone.localdate()
    tps = list(
        Area.objects.filter(level=Area.Level.TPS, code__below=regency.code)
        .select_related("parent")
        .order_by("code")
    )
    have = dict(
        Voter.objects.filter(tps__in=tps, origin=Voter.Origin.LIST)
        .values_list("tps_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    plan = [
        (t.parent_id, t.parent.name, t.tps_number, planned_voters(t.code, voters_per_tps, seed))
        for t in tps
    ]
    plan = [(v, name, n, want - have.get(f"{v}.{n:03d}", 0)) for v, name, n, want in plan]
    plan = [p for p in plan if p[3] > 0]
    total = sum(have.values())
    if not plan:
        return {"created": 0, "voters": total, "flagged": 0}
    used_niks: list[str] = []
    used_nkks: list[str] = []
    if have:  # a second run: new numbers must not repeat the ones already handed out
        used_niks = list(Voter.objects.values_list("nik", flat=True).iterator(chunk_size=20_000))
        used_nkks = list(Voter.objects.values_list("nkk", flat=True).iterator(chunk_size=20_000))
    factory = VoterFactory(
        seed=f"{seed}:voters:{total}",
        voting_day=voting_day,
        used_niks=used_niks,
        used_nkks=used_nkks,
    )
    rows = [
        row
        for village, name, number, n in plan
        for row in factory.tps_voters(village=village, village_name=name, tps=number, n=n)
    ]
    result = import_table(as_table(rows), source="seed_demo")
    return {"created": result.voters, "voters": total + result.voters, "flagged": result.flagged}


# --- coklit progress, through the sync service of the API ----------------------------------------

# The mix of outcomes on the list (SPEC 4): most are MS, some corrected, some TMS.
OUTCOME_MIX = [("MS", 87), ("UBAH", 5), ("TMS", 8)]
# TMS reasons as they come in the field: deaths and moves lead.
TMS_MIX = [(1, 33), (2, 9), (3, 2), (4, 32), (5, 10), (6, 2), (7, 2), (8, 7), (9, 3)]
TMS_NOTES = {
    1: [
        "Surat keterangan kematian dari kelurahan",
        "Akta kematian, diperlihatkan keluarga",
        "Keterangan ketua RT, meninggal tahun lalu",
    ],
    2: ["Terdaftar dua kali di TPS ini", "Ganda dengan pemilih di RT sebelah"],
    3: ["Belum 17 tahun pada hari pemungutan suara"],
    4: ["Pindah ke luar kota, menurut keluarga", "Pindah domisili, KK baru di kabupaten lain"],
    5: ["Tidak dikenal oleh ketua RT dan tetangga"],
    6: ["Anggota TNI aktif"],
    7: ["Anggota Polri aktif"],
    8: ["Rumah lebih dekat ke TPS lain di kelurahan ini"],
    9: ["Warga negara asing (paspor)", "Hak pilih dicabut putusan pengadilan"],
}
# New voters found in the field, per voter on the list checked.
BARU_RATE = 0.02


def coklit_event(
    rng: random.Random,
    *,
    voter: dict | None,
    recorded_at: dt.datetime,
    other_tps: list[int],
    factory: VoterFactory | None = None,
    village: Area | None = None,
) -> dict:
    """One field result shaped as the API receives it (SPEC 6).

    `voter` is a dict of id, alamat, rt, status_kawin, ktp_el; None makes a new voter (BARU).
    """
    event = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "voter": None,
        "outcome": "MS",
        "tms_reason": None,
        "target_tps": None,
        "note": "",
        "changes": {},
        "new_voter": None,
        "recorded_at": recorded_at.isoformat(),
    }
    if voter is None:
        person = factory.new_voter(village=village.code, village_name=village.name)
        person["tanggal_lahir"] = person["tanggal_lahir"].isoformat()
        person.pop("village", None)
        person.pop("tps", None)
        event.update(outcome="BARU", new_voter=person)
        return event
    event["voter"] = voter["id"]
    kind = rng.choices(*zip(*OUTCOME_MIX, strict=True))[0]
    if kind == "UBAH":
        what = rng.random()
        if what < 0.4:
            changes = {"alamat": f"{voter['alamat'].split(' No. ')[0]} No. {rng.randint(1, 250)}"}
        elif what < 0.6:
            changes = {"rt": f"{rng.randint(1, 15):03d}"}
        elif what < 0.8 and voter["status_kawin"] == "B":
            changes = {"status_kawin": "S"}
        else:
            changes = {"ktp_el": "S" if not voter["ktp_el"] else "B"}
        event["changes"] = changes
    elif kind == "TMS":
        reason = rng.choices(*zip(*TMS_MIX, strict=True))[0]
        if reason == 8 and not other_tps:
            reason = 4  # a village with one TPS has no other TPS to move to
        event.update(outcome="TMS", tms_reason=reason)
        if reason == 8:
            event["target_tps"] = rng.choice(other_tps)
        if reason in (1, 9) or rng.random() < 0.5:
            event["note"] = rng.choice(TMS_NOTES[reason])
    return event


def _work_times(
    rng: random.Random, n: int, *, start: dt.date, end: dt.date, now: dt.datetime, tz
) -> list[dt.datetime]:
    """n visit times on the days start..end in working hours, Sundays quieter, never after now."""
    days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
    weights = [0.4 if d.weekday() == 6 else 1.0 for d in days]
    out = []
    for day in rng.choices(days, weights, k=n):
        minute = rng.randint(8 * 60, 17 * 60 + 30)
        when = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=tz)
        out.append(min(when, now - dt.timedelta(minutes=rng.randint(1, 120))))
    return sorted(out)


def seed_progress(
    *, regency: Area, share: float, seed: int = 1, within: str | None = None, log=None
) -> dict:
    """Coklit results for `share` of the listed voters, sent TPS by TPS through the sync service.

    Each TPS's pantarlih "syncs" the visits of the days of the coklit period so far, in batches
    of at most 1,000 events, exactly as a device would; a second run only tops up. `within`
    limits it to the TPS of one village.
    """
    pemilihan = Pemilihan.objects.filter(regency=regency).select_related("regency").first()
    now = timezone.now()
    tz = pemilihan.tzinfo
    today = pemilihan.localtime(now).date()
    end = min(today, pemilihan.coklit_end)
    if end < pemilihan.coklit_start:
        return {"skipped": f"coklit baru mulai {pemilihan.coklit_start}"}
    rng = random.Random(f"{seed}:progress:{within or regency.code}")
    pantarlih = {
        u.area_id: u
        for u in User.objects.filter(role=Role.PANTARLIH, area__code__below=regency.code).order_by(
            "username"
        )
    }
    rows = TpsFigures.objects.filter(regency_code=regency.code).select_related("tps__parent")
    if within:
        rows = rows.filter(village_code=within)
    numbers: dict[str, list[int]] = {}
    for r in rows:
        numbers.setdefault(r.village_code, []).append(r.tps.tps_number)
    factory = VoterFactory(seed=f"{seed}:baru", voting_day=pemilihan.voting_day)
    sent = accepted = 0
    district = ""
    for r in rows.order_by("tps_id"):
        user = pantarlih.get(r.tps_id)
        target = r.target_l + r.target_p
        need = round(share * target) - r.done
        if user is None or need <= 0:
            continue
        belum = list(
            Voter.objects.filter(tps_id=r.tps_id, origin=Voter.Origin.LIST, status="BELUM")
            .order_by("id")
            .values("id", "alamat", "rt", "status_kawin", "ktp_el")
        )
        picked = rng.sample(belum, min(need, len(belum)))
        baru = sum(rng.random() < BARU_RATE for _ in picked)
        times = _work_times(
            rng, len(picked) + baru, start=pemilihan.coklit_start, end=end, now=now, tz=tz
        )
        others = [n for n in numbers[r.village_code] if n != r.tps.tps_number]
        visits: list[dict | None] = picked + [None] * baru
        rng.shuffle(visits)
        events = [
            coklit_event(
                rng, voter=v, recorded_at=t, other_tps=others, factory=factory, village=r.tps.parent
            )
            for v, t in zip(visits, times, strict=True)
        ]
        for i in range(0, len(events), 1000):
            results = sync.sync_batch(
                tps=r.tps, user=user, events=events[i : i + 1000], app_version="demo-seed"
            )
            accepted += sum(1 for x in results or () if x.get("status") == "accepted")
        sent += len(events)
        if log and r.district_code != district:
            district = r.district_code
            log(f"  {district}: coklit results sent so far: {sent}")
    return {"sent": sent, "accepted": accepted}


def simulate_coklit(
    *,
    regency: Area,
    per_minute: int,
    minutes: float | None,
    seed: int | None = None,
    log=None,
    sleep=time.sleep,
    clock=time.monotonic,
) -> dict:
    """Play the regency's pantarlih devices: small batches through the sync service, live.

    About `per_minute` results a minute, each batch from one TPS's pantarlih with 1-8 visits
    recorded now (and now and then a new voter), until `minutes` have passed (None: forever)
    or no voter is left to visit.
    """
    rng = random.Random(seed)
    pemilihan = Pemilihan.objects.filter(regency=regency).first()
    voting_day = pemilihan.voting_day if pemilihan else timezone.localdate()
    factory = VoterFactory(seed=rng.random(), voting_day=voting_day)
    users = {
        u.area_id: u
        for u in User.objects.filter(
            role=Role.PANTARLIH, area__code__below=regency.code
        ).select_related("area__parent")
    }
    numbers: dict[str, list[int]] = {}
    for u in users.values():
        numbers.setdefault(u.area.parent_id, []).append(u.area.tps_number)
    active = sorted(users)
    started = clock()
    deadline = started + minutes * 60 if minutes is not None else None
    # One round a second (or slower when under 60 a minute), a few small batches each round.
    tick = max(1.0, 60 / per_minute) if per_minute > 0 else 1.0
    credit = 0.0
    sent = accepted = batches = 0
    last_log = started
    while active and (deadline is None or clock() < deadline):
        tick_start = clock()
        credit += per_minute * tick / 60
        while credit >= 1 and active:
            code = rng.choice(active)
            k = min(int(credit), rng.randint(1, 8))
            belum = list(
                Voter.objects.filter(tps_id=code, origin=Voter.Origin.LIST, status="BELUM")
                .order_by("id")
                .values("id", "alamat", "rt", "status_kawin", "ktp_el")[:50]
            )
            if not belum:
                active.remove(code)
                continue
            user = users[code]
            others = [n for n in numbers[user.area.parent_id] if n != user.area.tps_number]
            visits: list[dict | None] = rng.sample(belum, min(k, len(belum)))
            if rng.random() < BARU_RATE * k:
                visits.append(None)
            now = timezone.now()
            events = [
                coklit_event(
                    rng,
                    voter=v,
                    recorded_at=now,
                    other_tps=others,
                    factory=factory,
                    village=user.area.parent,
                )
                for v in visits
            ]
            results = sync.sync_batch(
                tps=user.area, user=user, events=events, app_version="demo-simulator"
            )
            accepted += sum(1 for x in results or () if x.get("status") == "accepted")
            sent += len(events)
            batches += 1
            credit -= len(events)
        if log and clock() - last_log >= 10:
            last_log = clock()
            log(f"{sent} results sent in {batches} batches, {accepted} accepted")
        wait = tick - (clock() - tick_start)
        if deadline is not None:
            wait = min(wait, deadline - clock())
        if wait > 0:
            sleep(wait)
    return {"sent": sent, "accepted": accepted, "batches": batches, "finished": not active}


# The demo's plenos (SPEC 8), so that every role finds its next step: in the first district the
# first village is complete but for three late new voters (its PPS verifies them, then holds its
# pleno), the second village's pleno was returned by the PPK with this reason, the third and
# fourth are held and the rest are still in coklit; every other district has held its PPK pleno.
# The PPK of the first district holds its pleno once all its villages have held theirs, and then
# the KPU's pleno is ready.
RETURN_REASON = (
    "Jumlah TMS pada rekap TPS 001 tidak sama dengan formulir Model A-Daftar Perubahan; "
    "periksa lagi, lalu laksanakan pleno ulang."
)


def _late_ids(seed: int) -> list[str]:
    """The ids of the three late new voters of the "ready" village (fixed, so a rerun knows)."""
    rng = random.Random(f"{seed}:late-ids")
    return [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(3)]


def seed_workflow(*, regency: Area, seed: int = 1) -> list[tuple[Area, str]]:
    """Walk the areas along the plenos through the real services, as their officers would.

    Returns each area walked and where it stands: `ready`, `returned`, `held` (a village),
    `district held`. A second run leaves areas that have a pleno as they are.
    """
    from coklit import plenos

    pemilihan = Pemilihan.objects.filter(regency=regency).first()
    if pemilihan is None:
        return []
    year = pemilihan.coklit_start.year
    walked: list[tuple[Area, str]] = []
    districts = list(Area.objects.filter(parent=regency).order_by("code"))
    for d, district in enumerate(districts):
        villages = list(Area.objects.filter(parent=district).order_by("code"))
        all_held = True
        for v, village in enumerate(villages):
            if d == 0 and v >= 4:
                all_held = False  # still in coklit: the simulator's villages
                continue
            role = "ready" if (d, v) == (0, 0) else "returned" if (d, v) == (0, 1) else "held"
            state = _walk_village(village, role, seed=seed, year=year, pemilihan=pemilihan)
            if state == "skipped":
                return walked
            walked.append((village, state))
            all_held = all_held and state == "held"
        if d == 0 or not all_held:
            continue
        pleno = plenos.pleno_for(area=district)
        if not pleno.is_held:
            plenos.pleno_hold(
                area=district,
                by=_demo_user(Role.PPK, district.code),
                ba_number=f"{d + 1:02d}/PL.01.2-BA/{district.code}/{year}",
                place=f"Kantor {district.title}",
                attendees="Ketua dan anggota PPK\nPanwaslu Kecamatan\nPPS se-kecamatan",
                note="Rekapitulasi DPHP tingkat kecamatan.",
            )
        walked.append((district, "district held"))
    return walked


def _demo_user(role: Role, code: str) -> User:
    return User.objects.get(username=demo_username(role, code))


def _walk_village(village: Area, role: str, *, seed: int, year: int, pemilihan) -> str:
    """Complete and verify one village's coklit, then leave it `ready` (three late new voters
    wait), `held` or `returned` (held, then returned by the PPK with a reason)."""
    from coklit import plenos, services
    from coklit.models import CoklitEvent

    pleno = plenos.pleno_for(area=village)
    if pleno.pk and pleno.state != plenos.BELUM:
        return "held" if pleno.is_held else "returned"
    if role == "ready" and CoklitEvent.objects.filter(id__in=_late_ids(seed)).exists():
        return "ready"  # walked by an earlier run
    regency = Area.objects.get(code=village.regency_code)
    if "skipped" in seed_progress(regency=regency, share=1.0, seed=seed, within=village.code):
        return "skipped"
    pps = _demo_user(Role.PPS, village.code)
    waiting = TpsFigures.objects.filter(village_code=village.code, pending__gt=0)
    for row in waiting.select_related("tps").order_by("tps_id"):
        services.tps_queue_approve_all(tps=row.tps, by=pps)
    pending = CoklitEvent.objects.filter(
        tps__parent=village, stands=True, verification=Voter.Verification.PENDING
    )
    for event in pending:  # conflicts are left out of "approve all"
        services.event_verify(event=event, by=pps, decision="approve")
    if role == "ready":
        rng = random.Random(f"{seed}:workflow")
        tps = Area.objects.filter(parent=village).order_by("code").first()
        factory = VoterFactory(seed=f"{seed}:late", voting_day=pemilihan.voting_day)
        now = timezone.now()
        late = [
            coklit_event(
                rng,
                voter=None,
                recorded_at=now - dt.timedelta(hours=i + 1),
                other_tps=[],
                factory=factory,
                village=village,
            )
            | {"id": event_id}
            for i, event_id in enumerate(_late_ids(seed))
        ]
        pantarlih = _demo_user(Role.PANTARLIH, tps.code)
        sync.sync_batch(tps=tps, user=pantarlih, events=late, app_version="demo-seed")
        return "ready"
    plenos.pleno_hold(
        area=village,
        by=pps,
        ba_number=f"{village.code.rsplit('.', 1)[1]}/PL.01.2-BA/PPS/{year}",
        place=f"Kantor {village.title}",
        attendees="Ketua dan anggota PPS\nPanwaslu Kelurahan/Desa\nPantarlih",
        note="Rekapitulasi DPHP tingkat kelurahan/desa.",
    )
    if role == "returned":
        district = Area.objects.get(code=village.parent_id)
        plenos.pleno_return(
            area=village, by=_demo_user(Role.PPK, district.code), note=RETURN_REASON
        )
        return "returned"
    return "held"
