"""The demo's responses and saran perbaikan (SPEC 8b), through the real services.

- During coklit (`seed_demo`): the Panwaslu Kelurahan of the first village has filed two saran
  perbaikan; the PPS rejected one with a reason (the supervisor sees it), the other waits (the
  PPS answers it before its pleno).
- The second stage (`seed_demo --tahap tanggapan`): coklit is over in the whole regency, every
  DPHP pleno held and the DPS established a few days ago; the response period is running. In
  the first kecamatan the first village has responses of every kind waiting for its PPS, the
  second has answered its own and held its DPSHP pleno; the second kecamatan has held all its
  DPSHP plenos, the PPK's included, so the KPU's inbox has it.
"""

import datetime as dt
import random

from django.utils import timezone

from coklit import plenos, services
from coklit import tanggapan as svc
from coklit.demo import _demo_user, seed_progress
from coklit.models import CoklitEvent, Tanggapan, TpsFigures, Voter
from kpu.models import Area, Pemilihan, Role


def _voters(village: Area, n: int, *, seed: str) -> list[Voter]:
    """`n` voters of the village's starting list that are in the list now (MS, verified)."""
    qs = Voter.objects.filter(
        village=village, origin=Voter.Origin.LIST, status__in=["MS", "UBAH"]
    ).order_by("pk")
    ids = list(qs.values_list("pk", flat=True)[:400])
    rng = random.Random(seed)
    return list(Voter.objects.filter(pk__in=rng.sample(ids, min(n, len(ids)))).order_by("pk"))


def _tps(village: Area, n: int = 1) -> str:
    tps = Area.objects.filter(parent=village).order_by("code")[n - 1 : n].first()
    return str(tps.tps_number if tps else 1)


def seed_saran_in_coklit(*, regency: Area, seed: int = 1) -> list[str]:
    """Two saran perbaikan of the first village's PKD: one rejected with a reason, one waiting."""
    village = Area.objects.filter(parent__parent=regency).order_by("code").first()
    if village is None or Tanggapan.objects.filter(village=village).exists():
        return []
    pkd = _demo_user(Role.BAWASLU, village.code)
    pps = _demo_user(Role.PPS, village.code)
    voters = list(Voter.objects.filter(village=village).order_by("pk")[:2])
    done = []
    if voters:
        first = svc.tanggapan_record(
            village=village,
            by=pkd,
            kind=Tanggapan.Kind.TMS,
            voter_id=voters[0].pk,
            tms_reason=5,
            note="Menurut ketua RT, pemilih tidak dikenal di alamat ini.",
            evidence="Keterangan lisan ketua RT 003",
        )
        svc.tanggapan_reject(
            tanggapan=first,
            by=pps,
            note="Pantarlih bertemu langsung dengan pemilih; ia tinggal di RT 004, bukan RT 003.",
        )
        done.append(f"saran #{first.pk} ditolak dengan alasan")
    waiting = svc.tanggapan_record(
        village=village,
        by=pkd,
        kind=Tanggapan.Kind.PROSEDUR,
        note="Tiga rumah di RT 002 sudah dicoklit tetapi tidak ditempeli stiker coklit.",
        evidence="Foto rumah, 3 lembar",
    )
    done.append(f"saran #{waiting.pk} menunggu jawaban PPS")
    return done


def _verify_all(village: Area) -> None:
    pps = _demo_user(Role.PPS, village.code)
    for row in TpsFigures.objects.filter(village_code=village.code, pending__gt=0).select_related(
        "tps"
    ):
        services.tps_queue_approve_all(tps=row.tps, by=pps)
    for event in CoklitEvent.objects.filter(
        tps__parent=village, stands=True, verification=Voter.Verification.PENDING
    ):
        services.event_verify(event=event, by=pps, decision="approve")


def _hold(area: Area, *, when: dt.datetime, stage_name: str, number: int, year: int, **kw):
    committee = area.committee
    return plenos.pleno_hold(
        area=area,
        by=_demo_user(
            {"PPS": Role.PPS, "PPK": Role.PPK, "PPD": Role.PPK}.get(committee, Role.KPU),
            area.code,
        ),
        ba_number=f"{number:02d}/PL.01.2-BA/{committee}/{stage_name}/{year}",
        held_at=when,
        place=f"Kantor {area.title}",
        attendees=f"Ketua dan anggota {committee}\nBawaslu/Panwaslu\nSaksi",
        note=f"Rekapitulasi {stage_name}.",
        **kw,
    )


def seed_second_stage(*, regency: Area, seed: int = 1, days_into: int = 3, log=print) -> None:
    """Coklit done everywhere, the DPHP plenos held, the DPS established `days_into` days ago,
    and the second stage played in part of the regency (see the module's docstring)."""
    pemilihan = Pemilihan.objects.get(regency=regency)
    year = pemilihan.coklit_start.year
    now = timezone.now()
    if plenos.pleno_stage(regency) == plenos.Stage.DPHP:
        result = seed_progress(regency=regency, share=1.0, seed=seed)
        log(f"Coklit completed: {result.get('sent', 0)} more field results.")
        districts = list(Area.objects.filter(parent=regency).order_by("code"))
        for d, district in enumerate(districts):
            for v, village in enumerate(Area.objects.filter(parent=district).order_by("code")):
                _verify_all(village)
                if (d, v) == (0, 0):
                    for item in seed_saran_in_coklit(regency=regency, seed=seed):
                        log(f"  {village.title}: {item}")
                    for item in Tanggapan.objects.filter(
                        village=village, state=Tanggapan.State.PENDING
                    ):
                        svc.tanggapan_accept(tanggapan=item, by=_demo_user(Role.PPS, village.code))
                if not plenos.pleno_for(area=village).is_held:
                    _hold(
                        village,
                        when=now - dt.timedelta(days=days_into + 6),
                        stage_name="DPHP",
                        number=v + 1,
                        year=year,
                    )
            if not plenos.pleno_for(area=district).is_held:
                _hold(
                    district,
                    when=now - dt.timedelta(days=days_into + 3),
                    stage_name="DPHP",
                    number=d + 1,
                    year=year,
                )
        _hold(
            regency,
            when=now - dt.timedelta(days=days_into),
            stage_name="DPS",
            number=1,
            year=year,
            sk_number=f"{days_into:02d}/PL.01.2-Kpt/{regency.code}/KPU-Kot/{year}",
        )
        log(f"DPS established {days_into} days ago; the response period is running.")
    _play_responses(regency=regency, seed=seed, year=year, log=log)


def _play_responses(*, regency: Area, seed: int, year: int, log) -> None:
    districts = list(Area.objects.filter(parent=regency).order_by("code"))
    if not districts or Tanggapan.objects.filter(stage=Tanggapan.Stage.DPSHP).exists():
        return
    first = list(Area.objects.filter(parent=districts[0]).order_by("code"))
    now = timezone.now()
    # The first village: one of every kind waiting for its PPS, from the public and the PKD.
    village = first[0]
    pps = _demo_user(Role.PPS, village.code)
    v = _voters(village, 4, seed=f"{seed}:tg:{village.code}")
    if len(v) == 4:
        rng = random.Random(f"{seed}:tg")
        nik = f"{village.code[:2]}{village.code[3:5]}{rng.randrange(10**11, 10**12)}"
        waiting = [
            svc.tanggapan_record(
                village=village,
                by=pps,
                kind=Tanggapan.Kind.BELUM_TERDAFTAR,
                tps=_tps(village),
                fields={
                    "nkk": nik[:-4] + "0001",
                    "nik": nik,
                    "nama": "Rahmat Hidayat",
                    "tempat_lahir": "Palangka Raya",
                    "tanggal_lahir": "2007-08-01",
                    "jenis_kelamin": "L",
                    "status_kawin": "B",
                    "alamat": "Jl. Tingang No. 12",
                    "rt": "3",
                    "rw": "2",
                    "ktp_el": "S",
                },
                reporter="Hidayat (ayah)",
                reporter_contact="081234567890",
                evidence="Fotokopi KTP-el dan KK",
                note="Berumur 17 tahun sebelum hari pemungutan suara; belum ada di DPS.",
            ),
            svc.tanggapan_record(
                village=village,
                by=pps,
                kind=Tanggapan.Kind.DATA_SALAH,
                voter_id=v[0].pk,
                fields={"nama": v[0].nama + " Putri", "alamat": "Jl. Rajawali No. 5"},
                reporter=v[0].nama,
                evidence="KTP-el",
                note="Nama tidak lengkap dan alamat lama.",
            ),
            svc.tanggapan_record(
                village=village,
                by=_demo_user(Role.PPK, districts[0].code),
                kind=Tanggapan.Kind.TMS,
                voter_id=v[1].pk,
                tms_reason=1,
                reporter="Keluarga almarhum",
                evidence="Surat keterangan kematian dari kelurahan",
                note="Meninggal 2 minggu lalu; surat kematian diserahkan di kantor PPK.",
            ),
            svc.tanggapan_record(
                village=village,
                by=_demo_user(Role.BAWASLU, village.code),
                kind=Tanggapan.Kind.TMS,
                voter_id=v[2].pk,
                tms_reason=6,
                note="Anggota TNI aktif menurut data Kodim.",
                evidence="Surat Kodim",
            ),
        ]
        # Received over the period so far, so the PPS's inbox shows days waiting.
        for item, days in zip(waiting, (2, 2, 1, 0), strict=True):
            Tanggapan.objects.filter(pk=item.pk).update(
                recorded_at=now - dt.timedelta(days=days, hours=3)
            )
        log(f"  {village.title}: 4 tanggapan/saran perbaikan waiting for the PPS")
    # The second village: answered (accepted and rejected) and its DPSHP pleno held.
    if len(first) > 1:
        _answered_and_held(first[1], seed=seed, year=year, number=2, when=now, log=log)
    # The second district: every village answered and held, and the PPK's DPSHP pleno held.
    if len(districts) > 1:
        for n, village in enumerate(Area.objects.filter(parent=districts[1]).order_by("code")):
            _answered_and_held(village, seed=seed, year=year, number=n + 1, when=now, log=None)
        _hold(
            districts[1],
            when=now - dt.timedelta(hours=2),
            stage_name="DPSHP",
            number=2,
            year=year,
        )
        log(f"  {districts[1].title}: every DPSHP pleno held, the PPK's included")


def _answered_and_held(village: Area, *, seed: int, year: int, number: int, when, log) -> None:
    pps = _demo_user(Role.PPS, village.code)
    v = _voters(village, 2, seed=f"{seed}:tg:{village.code}")
    if len(v) == 2:
        moved = svc.tanggapan_record(
            village=village,
            by=pps,
            kind=Tanggapan.Kind.TMS,
            voter_id=v[0].pk,
            tms_reason=4,
            reporter="Ketua RT",
            note="Pindah ke Kabupaten Katingan sejak Juli.",
        )
        svc.tanggapan_accept(tanggapan=moved, by=pps, note="Dicek ke keluarga: benar pindah.")
        doubt = svc.tanggapan_record(
            village=village,
            by=_demo_user(Role.BAWASLU, village.code),
            kind=Tanggapan.Kind.TMS,
            voter_id=v[1].pk,
            tms_reason=2,
            note="Diduga ganda dengan pemilih di kelurahan lain.",
        )
        svc.tanggapan_reject(
            tanggapan=doubt,
            by=pps,
            note="NIK dan tanggal lahir berbeda: dua orang yang namanya sama.",
        )
    _hold(
        village,
        when=when - dt.timedelta(hours=6),
        stage_name="DPSHP",
        number=number,
        year=year,
    )
    if log:
        log(f"  {village.title}: responses answered, DPSHP pleno held")
