"""Synthetic voters that look like a real list (no real person's data), for the demo and benches.

Households share an NKK, an address and often a family name; names follow the region (Dayak,
Banjar and Javanese in Central Kalimantan; Amungme, Kamoro, highland Papuan and migrant names in
Papua). NIKs are structurally valid: 6 region digits (the district's code, or another region's
for voters who moved in), DDMMYY of birth with 40 added to the day for women, a 4-digit serial.
A few rows carry the quirks real lists have (a woman's NIK without the +40, a placeholder birth
date), so the import's flags have something to find.
"""

import csv
import datetime as dt
import random
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from coklit.importer import COLUMNS

_DAYAK = {
    "L": "Tambun Bungai Asang Dehen Itat Rangkap Sahay Lewis Uria Kiting Tundan Nyahu Anden "
    "Lambung Sabran Usop Tingang Bahen Mantir Damang Nahan Jaya Petrus Yohanes Simon "
    "Markus Natalis Yulius Fransiskus".split(),
    "P": "Yohana Maria Natalia Elisabeth Yuliana Rosita Diana Sinta Elvi Yanti Imelda Ester "
    "Debora Kristina Rinawati Hana Rut Marta Sarlota Tiurma Nyai Ineh Bawi Darmawati".split(),
    "family": "Bungai Asang Tambun Sahay Kiting Lambung Nyahu Tundan Rangkap Anden Usop Ilan "
    "Dehen Itat Mantir Tingang Riwut Sabran Nahan Toendan Ahat Kaderi Jaga Runjan".split(),
}
_BANJAR = {
    "L": "Muhammad Ahmad Abdul Rahmat Gusti Anang Masrani Jumberi Badrun Ramli Syahrani "
    "Fauzi Rizky Hasanudin Arsyad Taufik Zainal Yusran Mahfuz Saberi Husin Murjani".split(),
    "P": "Siti Noor Rahmah Aulia Galuh Rusmini Fatimah Nurul Masitah Hafsah Jamilah Saidah "
    "Zahra Rabiatul Halimah Mariani Nurhayati Khadijah Aminah Raudah".split(),
    "family": "Rahman Hidayat Fahmi Ansyari Hakim Saleh Noor Effendi Aini Maulida Rasyid "
    "Fadillah Syarif Hamdani Kurniawan Amalia Huda Ridwan".split(),
}
_JAWA = {
    "L": "Slamet Budi Agus Joko Bambang Sugeng Eko Dwi Tri Hendra Suparman Sugiarto Wahyu "
    "Purnomo Bayu Dimas Teguh Heru Sutrisno Rudi Yudi Gatot Kuncoro".split(),
    "P": "Sri Endang Dewi Rina Wahyuni Suwarni Sari Ratna Ika Intan Fitri Lestari Puji "
    "Sulastri Tutik Yuni Wulan Ani Siti Nining Kartini Sumiati".split(),
    "family": "Santoso Rahayu Wibowo Nugroho Susanto Purnomo Wulandari Setiawan Prasetyo "
    "Handayani Utomo Saputra Kusuma Hartono Lestari Suryani Widodo Haryanto".split(),
}
_BATAK = {
    "L": "Parulian Hotman Tigor Robert Jhonson Martua Sahat Binsar Torang Poltak".split(),
    "P": "Tiurma Rosmawati Lasmaria Nurmala Dameria Roslina Sondang Ruth".split(),
    "family": "Simanjuntak Tarigan Siregar Nainggolan Sihombing Hutapea Panjaitan "
    "Situmorang Manurung Sinaga".split(),
}
_PAPUA = {
    "L": "Yohanes Marthen Yakobus Agustinus Yosias Petrus Nikolas Elias Titus Frans Silas "
    "Yulianus Daniel Abraham Obet Melkias Demianus Yance Septinus Hendrik Pius Jhon".split(),
    "P": "Agustina Yuliana Beatrix Naomi Fransina Maria Yosina Salomina Ribka Martha "
    "Mince Dorkas Lince Yakomina Regina Herlina Adolfina Margaretha Elsina Ester".split(),
    # Amungme and Kamoro (Mimika) and highland families.
    "family": "Beanal Magal Natkime Kum Omaleng Timang Waker Jangkup Anggaibak Narkime "
    "Ukapiyu Mutuyu Pinimet Yaware Taoroyu Operawiri Kiwak Kogoya Wenda Tabuni Murib "
    "Wandikbo Yogi Kotorok Degei Pekei Tebai Mote Gobai Alom Ohee".split(),
}
_BUGIS = {
    "L": "Andi Muhammad Baharuddin Syamsuddin Hasanuddin Arifin Ilham Rusdi Amiruddin".split(),
    "P": "Andi Nurhayati Hasnah Rahmawati Sitti Kasmawati Nurjannah Irmawati".split(),
    "family": "Lawalata Tuasikal Renwarin Rahanra Latuconsina Ohoiwutun Patty Pattiasina "
    "Daeng Baso Sanusi Mappasessu Hamid".split(),
}
# Who lives where, by province: names follow the region.
MIX = {
    "62": [(_DAYAK, 40), (_BANJAR, 30), (_JAWA, 25), (_BATAK, 5)],
    "9": [(_PAPUA, 55), (_JAWA, 15), (_BUGIS, 22), (_BATAK, 3), (_BANJAR, 5)],
    "": [(_JAWA, 60), (_BANJAR, 15), (_BUGIS, 15), (_BATAK, 10)],
}
STREETS = {
    "62": "G. Obos|Tjilik Riwut|RTA Milono|Yos Sudarso|Diponegoro|Rajawali|Mahir Mahar|"
    "Temanggung Tilung|Beliang|Kinibalu|Ahmad Yani|Imam Bonjol|Seth Adji|Sisingamangaraja|"
    "Hiu Putih|Galaxy|Badak|Murjani|Bukit Keminting|Sapan|Manjuhan|Garuda".split("|"),
    "9": "Yos Sudarso|Budi Utomo|Cenderawasih|Hasanuddin|Sam Ratulangi|C. Heatubun|Belibis|"
    "Serui Mekar|Petrosea|Bhayangkara|Freeport Lama|Poros SP2|Kartini|Ahmad Yani|"
    "Hawai|Agimuga|Busiri|Kamoro".split("|"),
    "": "Merdeka|Sudirman|Ahmad Yani|Diponegoro|Gatot Subroto|Pahlawan|Kartini".split("|"),
}
BIRTHPLACES = {
    "62": [
        ("Palangka Raya", 45),
        ("Kuala Kapuas", 8),
        ("Sampit", 8),
        ("Banjarmasin", 8),
        ("Kuala Kurun", 4),
        ("Pangkalan Bun", 4),
        ("Buntok", 4),
        ("Muara Teweh", 3),
        ("Kasongan", 4),
        ("Pulang Pisau", 4),
        ("Surabaya", 3),
        ("Semarang", 2),
        ("Medan", 1),
        ("Yogyakarta", 2),
    ],
    "9": [
        ("Timika", 45),
        ("Jayapura", 6),
        ("Wamena", 6),
        ("Nabire", 5),
        ("Agimuga", 4),
        ("Tembagapura", 4),
        ("Fakfak", 3),
        ("Makassar", 8),
        ("Ambon", 5),
        ("Tual", 4),
        ("Enarotali", 4),
        ("Surabaya", 3),
        ("Makale", 3),
    ],
    "": [("Jakarta", 30), ("Surabaya", 20), ("Makassar", 20), ("Medan", 15), ("Bandung", 15)],
}
# Where voters who moved in were first issued a NIK (SPEC 5: never a reason to reject).
OTHER_REGIONS = ["357801", "637101", "620201", "620101", "337401", "737101", "810101", "940101"]
# Disabilities (SPEC 5 codes) among voters: about 1.5%, mostly physical and visual.
DISABILITY_WEIGHTS = [("1", 45), ("6", 20), ("5", 12), ("4", 8), ("3", 8), ("2", 7)]


def _region_key(code: str) -> str:
    return "9" if code.startswith("9") else ("62" if code.startswith("62") else "")


def _pick(rng: random.Random, weighted):
    items, weights = zip(*weighted, strict=True)
    return rng.choices(items, weights)[0]


def nik_region(district_code: str) -> str:
    """`62.71.01` -> `627101`."""
    return district_code.replace(".", "")[:6]


def nik_date(born: dt.date, sex: str) -> str:
    """DDMMYY of birth, the day plus 40 for women."""
    return f"{born.day + (40 if sex == 'P' else 0):02d}{born.month:02d}{born.year % 100:02d}"


class Serials:
    """Hands out 16-digit numbers: 12 given digits and the next free 4-digit serial.

    Seeded with numbers already in use, so a second demo run never makes a duplicate NIK.
    """

    def __init__(self, used: Iterable[str] = ()):
        self.last: Counter = Counter()
        for n in used:
            key, serial = n[:12], int(n[12:] or 0)
            if serial > self.last[key]:
                self.last[key] = serial

    def next(self, prefix12: str) -> str:
        self.last[prefix12] += 1
        if self.last[prefix12] > 9999:  # a full day of births in one district: move a day on
            return self.next(prefix12[:-1] + str((int(prefix12[-1]) + 1) % 10))
        return f"{prefix12}{self.last[prefix12]:04d}"


def _birth(rng: random.Random, voting_day: dt.date, age_lo: int, age_hi: int) -> dt.date:
    """A birth date that makes someone age_lo..age_hi years old on voting day."""
    age = rng.randint(age_lo, age_hi)
    latest = (
        voting_day.replace(year=voting_day.year - age)
        if not (voting_day.month == 2 and voting_day.day == 29)
        else dt.date(voting_day.year - age, 2, 28)
    )
    return latest - dt.timedelta(days=rng.randint(0, 364))


class VoterFactory:
    """Makes households of synthetic voters for the TPS of one region."""

    def __init__(self, *, seed, voting_day: dt.date, used_niks=(), used_nkks=()):
        self.rng = random.Random(seed)
        self.voting_day = voting_day
        self.niks = Serials(used_niks)
        self.nkks = Serials(used_nkks)

    def person(
        self, *, region: str, district: str, names: dict, sex: str, born: dt.date, family: str
    ) -> dict:
        rng = self.rng
        given = rng.choice(names["L" if sex == "L" else "P"])
        if names is _JAWA and rng.random() < 0.35:
            nama = given  # many Javanese have one name
        elif names in (_JAWA, _BANJAR) and rng.random() < 0.5:
            nama = f"{given} {rng.choice(names[sex] if sex in names else names['L'])}"
        else:
            nama = f"{given} {family}"
        if nama.split()[0] == nama.split()[-1]:
            nama = f"{given} {rng.choice(names['family'])}"
        nik_sex, nik_born = sex, born
        quirk = rng.random()
        if sex == "P" and quirk < 0.003:
            nik_sex = "L"  # an old NIK without the +40 for women: flagged, not rejected
        elif quirk > 0.998:
            nik_born = born + dt.timedelta(days=rng.randint(1, 400))  # a mistyped birth date
        home = district if rng.random() > 0.1 else rng.choice(OTHER_REGIONS)
        nik = self.niks.next(nik_region(home) + nik_date(nik_born, nik_sex))
        disabilitas = ""
        if rng.random() < 0.015:
            codes = {_pick(rng, DISABILITY_WEIGHTS)}
            if rng.random() < 0.15:
                codes.add(_pick(rng, DISABILITY_WEIGHTS))
            disabilitas = ",".join(sorted(codes))
        no_ktp = (0.12 if region == "9" else 0.03) + (
            0.3 if born.year >= self.voting_day.year - 18 else 0
        )
        return {
            "nik": nik,
            "nama": nama,
            "tempat_lahir": _pick(rng, BIRTHPLACES[region]),
            "tanggal_lahir": born,
            "jenis_kelamin": sex,
            "disabilitas": disabilitas,
            "ktp_el": "B" if rng.random() < no_ktp else "S",
        }

    def household(self, *, village: str, village_name: str, tps: int, rw: str) -> list[dict]:
        """One family card's voters: a couple, grown children, sometimes a widowed parent."""
        rng, vd = self.rng, self.voting_day
        region = _region_key(village)
        district = village.rsplit(".", 1)[0]
        names = _pick(rng, MIX[region])
        family = rng.choice(names["family"])
        size = _pick(rng, [(1, 15), (2, 33), (3, 25), (4, 15), (5, 8), (6, 4)])
        members: list[tuple[str, dt.date, str]] = []
        if size == 1:
            sex = rng.choice("LP")
            members.append(
                (sex, _birth(rng, vd, 19, 80), _pick(rng, [("B", 45), ("S", 30), ("P", 25)]))
            )
        else:
            head = _birth(rng, vd, 26, 75)
            members.append(("L", head, "S"))
            spouse_age = max(20, min(90, vd.year - head.year + rng.randint(-8, 2)))
            members.append(("P", _birth(rng, vd, spouse_age, spouse_age), "S"))
            parent_age = vd.year - head.year
            for _i in range(size - 2):
                if rng.random() < 0.12 and parent_age < 60:
                    members.append(
                        (
                            rng.choice("LP"),
                            _birth(rng, vd, parent_age + 20, min(parent_age + 35, 98)),
                            "P",
                        )
                    )
                    continue
                hi = max(17, min(parent_age - 19, 40))
                age = rng.randint(17, hi)
                status = "S" if age > 22 and rng.random() < 0.25 else "B"
                if age < 19 and rng.random() < 0.02:
                    # Married before 17: a voter all the same (SPEC 4).
                    age, status = 16, "S"
                members.append((rng.choice("LP"), _birth(rng, vd, age, age), status))
        if rng.random() < 0.0005:
            sex, _b, status = members[-1]
            members[-1] = (sex, dt.date(1900, 1, 1), status)  # DP4's "unknown" birth date
        issued = dt.date(2005, 1, 1) + dt.timedelta(days=rng.randint(0, 6900))
        nkk = self.nkks.next(nik_region(district) + f"{issued:%d%m%y}")
        if region == "9" and village.rsplit(".", 1)[1].startswith("2"):
            alamat = f"Kampung {village_name} No. {rng.randint(1, 250)}"
        else:
            alamat = f"Jl. {rng.choice(STREETS[region])} No. {rng.randint(1, 250)}"
        rt = f"{rng.randint(1, 15):03d}"
        out = []
        for sex, born, status in members:
            p = self.person(
                region=region, district=district, names=names, sex=sex, born=born, family=family
            )
            p.update(
                village=village, tps=tps, nkk=nkk, status_kawin=status, alamat=alamat, rt=rt, rw=rw
            )
            out.append(p)
        return out

    def tps_voters(self, *, village: str, village_name: str, tps: int, n: int) -> list[dict]:
        """Exactly n voters for one TPS, in households, covering one or two RW."""
        rws = [f"{self.rng.randint(1, 12):03d}"]
        if self.rng.random() < 0.4:
            rws.append(f"{int(rws[0]) % 12 + 1:03d}")
        out: list[dict] = []
        while len(out) < n:
            out.extend(
                self.household(
                    village=village, village_name=village_name, tps=tps, rw=self.rng.choice(rws)
                )
            )
        return out[:n]

    def new_voter(self, *, village: str, village_name: str) -> dict:
        """A person not yet on the list: mostly first-time voters, some who moved in."""
        rng, vd = self.rng, self.voting_day
        region = _region_key(village)
        names = _pick(rng, MIX[region])
        sex = rng.choice("LP")
        first_time = rng.random() < 0.7
        born = _birth(rng, vd, 17, 17) if first_time else _birth(rng, vd, 20, 60)
        p = self.person(
            region=region,
            district=village.rsplit(".", 1)[0],
            names=names,
            sex=sex,
            born=born,
            family=rng.choice(names["family"]),
        )
        nkk = self.nkks.next(
            nik_region(village.rsplit(".", 1)[0])
            + f"{dt.date(2010, 1, 1) + dt.timedelta(days=rng.randint(0, 5000)):%d%m%y}"
        )
        p.update(
            nkk=nkk,
            status_kawin="B" if first_time else rng.choice("SB"),
            alamat=f"Jl. {rng.choice(STREETS[region])} No. {rng.randint(1, 250)}",
            rt=f"{rng.randint(1, 15):03d}",
            rw=f"{rng.randint(1, 12):03d}",
        )
        return p


def as_table(rows: Iterable[dict]) -> list[tuple[int, list]]:
    """Rows in the shape `importer.import_table` reads: the header, then the cells."""
    table: list[tuple[int, list]] = [(1, list(COLUMNS))]
    for i, r in enumerate(rows, start=2):
        table.append((i, [r.get(c, "") for c in COLUMNS]))
    return table


def write_csv(path: str | Path, rows: Iterable[dict], *, delimiter: str = ",") -> int:
    """A CSV as officers make them: dates in both accepted forms (SPEC 5)."""
    n = 0
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(COLUMNS)
        for r in rows:
            born = r["tanggal_lahir"]
            r = r | {"tanggal_lahir": born.isoformat() if n % 2 else f"{born:%d-%m-%Y}"}
            w.writerow([r.get(c, "") for c in COLUMNS])
            n += 1
    return n


def write_xlsx(path: str | Path, rows: Iterable[dict]) -> int:
    """An XLSX with real date cells and NIK/NKK as text, written in openpyxl's write-only mode."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Pemilih")
    ws.append(list(COLUMNS))
    n = 0
    for r in rows:
        ws.append([r.get(c, "") for c in COLUMNS])
        n += 1
    wb.save(path)
    return n


def regency_rows(
    tps: Iterator[tuple[str, str, int, int]], *, seed, voting_day: dt.date
) -> Iterator[dict]:
    """Voters for (village code, village name, TPS number, how many) in turn."""
    factory = VoterFactory(seed=seed, voting_day=voting_day)
    for village, name, number, n in tps:
        yield from factory.tps_voters(village=village, village_name=name, tps=number, n=n)
