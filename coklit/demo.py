"""The demo of a real regency: election, TPS sized like reality, users for every role.

Voters and coklit progress are added on top of this by `seed_voters` and `seed_progress`.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from coklit.figures import ensure_tps
from kpu.models import Area, Pemilihan, Role, User
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
    villages = list(
        Area.objects.filter(level=Area.Level.VILLAGE, code__startswith=regency.code + ".")
    )
    if not villages:
        raise ValueError(
            f"{regency.code} has no villages: run import_wilayah --regency {regency.code}"
        )
    tps_count, _voters = REAL_SIZES.get(regency.code, (len(villages) * 4, 0))
    tps_by_village: dict[str, list[Area]] = {}
    existing = Area.objects.filter(level=Area.Level.TPS, code__startswith=regency.code + ".")
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
                last_name=f"({role.label} {area.name})"[:150],
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
        user = (
            User.objects.filter(role=role, area__code__startswith=regency.code)
            .order_by("area__code")
            .select_related("area")
            .first()
        )
        if user:
            out.append((user.username, f"{role.label} · {user.area.title}"))
    return out
