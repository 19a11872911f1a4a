"""Load on loopback: gunicorn serving the demo city, 100 officers polling, 20 devices syncing.

    DATABASE_URL=postgres://... python bench/load.py [--seconds 60] [--users 100] [--devices 20]
        [--workers 4] [--poll-every 20] [--sync-every 10] [--batch 20] [--fresh]

Works in a scratch database `<name>_load` next to the one DATABASE_URL names (never in that one):
on the first run it is made, migrated and seeded with the demo of Kota Palangka Raya at its real
size (415 TPS, about 218,000 voters, 60% of the coklit done; about 2 minutes); later runs reuse
it (`--fresh` starts over). Then:

1. gunicorn (`kpu.wsgi`, production settings, sync workers) on 127.0.0.1 and a free port;
2. the officers log in through the login form (kpu, ppk, pps and pantarlih accounts of the demo)
   and each keeps one area page open: every `--poll-every` seconds (jittered; 20 s is what the
   real page does, `--poll-every 1` is 20x that) the live partial is asked as htmx asks it,
   with `HX-Target: live` and `If-None-Match`, which answers 304 while the area is unchanged;
   one request in ten is the whole page instead;
3. the devices (pantarlih of 20 TPS spread over the city, each with a token from `issue_token`)
   fetch their TPS list, then send a batch of `--batch` results every `--sync-every` seconds
   (mostly MS, some ubah and TMS); one batch in ten is a retry of the last one (all duplicates);
4. after `--seconds`, the table: requests, rate, p50/p99/max latency and errors per kind; then
   `manage.py check_figures 62.71` must find every figure equal to a recount.

The load generator is a small asyncio HTTP/1.1 client (one connection per request, as gunicorn's
sync workers close them), light enough to leave the two cores to the server. Everything stays
on 127.0.0.1. The figures go to `load-results.json` too.
"""

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
REGENCY = "62.71"
VOTERS_PER_TPS = 524  # 217,584 voters in 415 TPS (2024)
DEMO_PASSWORD = "coklit-demo-2026"


# --- the scratch database -------------------------------------------------------------------


def scratch_url(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_load"
    return urlunsplit(parts._replace(path="/" + name)), name


def ensure_database(url: str, name: str, fresh: bool) -> bool:
    """Make the scratch database if missing (or if --fresh); True when it was made."""
    import psycopg

    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
            return True
    return False


def manage(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=check,
    )


def seeded(env: dict) -> bool:
    script = (
        "from coklit.models import Voter; from kpu.models import Area; "
        f"print(Voter.objects.filter(tps__code__below='{REGENCY}').count(), "
        f"Area.objects.filter(code__below='{REGENCY}', level=5).count())"
    )
    out = manage(env, "shell", "-c", script).stdout.strip().splitlines()[-1].split()
    return int(out[0]) > 200_000 and int(out[1]) > 400


def prepare(env: dict, server_env: dict, fresh: bool, name: str, url: str) -> None:
    made = ensure_database(url, name, fresh)
    step = time.perf_counter()
    manage(env, "migrate", "--noinput", "-v", "0")
    if made or not seeded(env):
        print(f"Seeding {name}: the demo of {REGENCY} at real size (about 2 minutes)...")
        manage(env, "seed_demo", "--regency", REGENCY, "--voters-per-tps", str(VOTERS_PER_TPS))
        print(f"  seeded in {time.perf_counter() - step:.0f} s")
    # Production settings serve hashed static files: the manifest comes from collectstatic.
    manage(server_env, "collectstatic", "--noinput", "-v", "0")


# --- a small HTTP client ----------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, list[str]]
    body: bytes

    def header(self, name: str) -> str:
        return (self.headers.get(name.lower()) or [""])[0]


def _dechunk(body: bytes) -> bytes:
    out, rest = b"", body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out, rest = out + rest[:size], rest[size + 2 :]
    return out


async def http(port: int, method: str, path: str, headers: dict, body: bytes = b"") -> Answer:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}:{port}", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        await writer.drain()
        raw = await reader.read()
    finally:
        writer.close()
    head, _, content = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed: dict[str, list[str]] = defaultdict(list)
    for line in header_lines:
        k, _, v = line.partition(":")
        parsed[k.strip().lower()].append(v.strip())
    if "chunked" in parsed.get("transfer-encoding", [""])[0]:
        content = _dechunk(content)
    return Answer(int(status_line.split()[1]), dict(parsed), content)


# --- what is measured -------------------------------------------------------------------------


@dataclass
class Stats:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    error_samples: list[str] = field(default_factory=list)
    events: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def error(self, kind: str, what: str) -> None:
        self.errors[kind] += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(f"{kind}: {what}")


async def timed(stats: Stats, port: int, method: str, path: str, headers, body=b""):
    start = time.perf_counter()
    try:
        answer = await http(port, method, path, headers, body)
    except OSError as exc:
        stats.error(f"{method} {path.split('/')[1]}", repr(exc))
        return None, time.perf_counter() - start
    return answer, time.perf_counter() - start


# --- officers ---------------------------------------------------------------------------------


def cookie_header(answer: Answer, jar: dict[str, str]) -> None:
    for line in answer.headers.get("set-cookie", []):
        name, _, rest = line.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]


def cookies(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


async def login(port: int, username: str) -> str:
    """The session cookie of a login through the form, as a browser does it."""
    jar: dict[str, str] = {}
    page = await http(port, "GET", "/masuk/", {})
    cookie_header(page, jar)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)
    form = f"csrfmiddlewaretoken={token.decode()}&username={username}&password={DEMO_PASSWORD}"
    answer = await http(
        port,
        "POST",
        "/masuk/",
        {
            "Cookie": cookies(jar),
            "Content-Type": "application/x-www-form-urlencoded",
            "Origin": f"http://{HOST}:{port}",
        },
        form.encode(),
    )
    cookie_header(answer, jar)
    if answer.status != 302 or "sessionid" not in jar:
        raise RuntimeError(f"login of {username} failed: {answer.status} {answer.body[:200]!r}")
    return cookies(jar)


async def officer(port, stats, session: str, path: str, until: float, every: float, rng):
    etag = ""
    live = {"Cookie": session, "HX-Request": "true", "HX-Target": "live"}
    await pause(rng.uniform(0, every), until)
    while time.perf_counter() < until:
        if rng.random() < 0.1:
            answer, took = await timed(stats, port, "GET", path, {"Cookie": session})
            kind = "area page"
        else:
            headers = live | ({"If-None-Match": etag} if etag else {})
            answer, took = await timed(stats, port, "GET", path, headers)
            kind = "poll 304" if answer and answer.status == 304 else "poll 200"
            if answer and answer.status == 200:
                etag = answer.header("etag")
        if answer is not None:
            stats.times[kind].append(took)
            if answer.status not in (200, 304):
                stats.error(kind, f"{path} -> {answer.status}")
        await pause(rng.uniform(0.5, 1.5) * every, until)


async def pause(seconds: float, until: float) -> None:
    """Think time, cut short at the end of the run (so the run lasts what it says)."""
    await asyncio.sleep(max(0.0, min(seconds, until - time.perf_counter())))


# --- devices ----------------------------------------------------------------------------------


async def device(port, stats, token: str, tps: str, until: float, every: float, batch: int, rng):
    auth = {"Authorization": f"Bearer {token}", "X-App-Version": "2.1.0-load"}
    await pause(rng.uniform(0, min(every, 2.0)), until)
    answer, took = await timed(stats, port, "GET", f"/api/v1/tps/{tps}/pemilih", auth)
    if answer is None or answer.status != 200:
        stats.error("device list", f"{tps} -> {answer and answer.status}")
        return
    stats.times["device list"].append(took)
    pemilih = json.loads(answer.body)["pemilih"]
    todo = [v["id"] for v in pemilih if v["status"] == "BELUM"]
    done = [v["id"] for v in pemilih if v["status"] != "BELUM" and v["origin"] == "A"]
    rng.shuffle(todo)
    last: bytes | None = None
    while time.perf_counter() < until:
        if last is not None and rng.random() < 0.1:
            body = last  # a retry: the device did not hear the answer
        else:
            events = []
            for _ in range(batch):
                voter = todo.pop() if todo else rng.choice(done)
                done.append(voter)
                events.append(result(voter, rng))
            body = last = json.dumps({"events": events}).encode()
        headers = auth | {"Content-Type": "application/json"}
        answer, took = await timed(stats, port, "POST", "/api/v1/coklit/sync", headers, body)
        if answer is not None:
            stats.times["device sync"].append(took)
            if answer.status != 200:
                stats.error("device sync", f"{tps} -> {answer.status} {answer.body[:200]!r}")
            else:
                for r in json.loads(answer.body)["results"]:
                    stats.events[r["status"]] += 1
                    if r["status"] == "rejected" and len(stats.error_samples) < 10:
                        stats.error_samples.append(f"rejected: {r['error']}")
        await pause(rng.uniform(0.5, 1.5) * every, until)


def result(voter: int, rng) -> dict:
    event = {
        "id": str(uuid.uuid4()),  # new every run: the scratch database keeps earlier runs' ids
        "voter": voter,
        "outcome": "MS",
        "recorded_at": datetime.now(UTC).isoformat(),
    }
    roll = rng.random()
    if roll < 0.05:
        event["changes"] = {"rt": str(rng.randint(1, 20))}
    elif roll < 0.15:
        event |= {"outcome": "TMS", "tms_reason": rng.choice([2, 3, 4, 5, 6, 7])}
    return event


# --- the run ----------------------------------------------------------------------------------


def accounts(env: dict, users: int, devices: int, seed: int) -> tuple[list, list]:
    """(username, area) of the officers, and (token, tps) of the devices (tokens issued now)."""
    script = f"""
import json, random
from kpu.models import Area, User
from kpu.services import token_issue
rng = random.Random({seed})
users = {{u.username: u for u in User.objects.filter(username__contains="-{REGENCY}")}}
tps = sorted(a for a in users if a.startswith("pantarlih-") and a.count("-") == 1)
devices = rng.sample(tps, {devices})
out = {{"devices": [[token_issue(user=users[d]), users[d].area_id] for d in devices]}}
ppk = sorted(a for a in users if a.startswith("ppk-"))
pps = sorted(a for a in users if a.startswith("pps-"))
pool = ["kpu-{REGENCY}"] * 10 + ppk * 2 + rng.sample(pps, min(len(pps), 30)) + rng.sample(pps, 10)
pool += devices[:10] + rng.sample(tps, 10) + devices[:10] + ["kpu-{REGENCY}"] * 10
rng.shuffle(pool)
out["officers"] = [[u, users[u].area_id] for u in pool[:{users}]]
print(json.dumps(out))
"""
    data = json.loads(manage(env, "shell", "-c", script).stdout.strip().splitlines()[-1])
    return data["officers"], data["devices"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


async def wait_up(port: int, server: subprocess.Popen) -> None:
    for _ in range(300):
        if server.poll() is not None:
            raise RuntimeError("gunicorn stopped: " + server.stderr.read().decode()[-2000:])
        try:
            if (await http(port, "GET", "/healthz", {})).status == 200:
                return
        except OSError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("gunicorn did not answer /healthz in 30 s")


async def run(args, port: int, officers, devices) -> tuple[Stats, float, float]:
    stats = Stats()
    rng = random.Random(args.seed)
    start = time.perf_counter()
    sessions: dict[str, str] = {}
    gate = asyncio.Semaphore(args.workers)

    async def one(username):
        async with gate:
            sessions[username] = await login(port, username)

    await asyncio.gather(*(one(u) for u in {u for u, _ in officers}))
    logins = time.perf_counter() - start
    print(f"{len(sessions)} officers logged in through the form in {logins:.1f} s")

    cpu = time.process_time()
    begin = time.perf_counter()
    until = begin + args.seconds
    tasks = [
        officer(
            port,
            stats,
            sessions[u],
            f"/wilayah/{area}/",
            until,
            args.poll_every,
            random.Random(rng.random()),
        )
        for u, area in officers
    ]
    tasks += [
        device(
            port,
            stats,
            token,
            tps,
            until,
            args.sync_every,
            args.batch,
            random.Random(rng.random()),
        )
        for token, tps in devices
    ]
    await asyncio.gather(*tasks)
    return stats, time.perf_counter() - begin, time.process_time() - cpu


def quantile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def report(stats: Stats, elapsed: float, args) -> list[dict]:
    kinds = ["area page", "poll 200", "poll 304", "device list", "device sync"]
    rows = []
    print()
    print(
        f"{args.users} officers polling every ~{args.poll_every:g} s, {args.devices} devices "
        f"syncing {args.batch} results every ~{args.sync_every:g} s, {elapsed:.0f} s, "
        f"gunicorn {args.workers} sync workers on {HOST}"
    )
    print()
    print("| request | count | per second | p50 ms | p99 ms | max ms | errors |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    total = 0
    for kind in kinds:
        t = stats.times.get(kind, [])
        total += len(t)
        row = {
            "request": kind,
            "count": len(t),
            "per_second": round(len(t) / elapsed, 1),
            "p50_ms": round(statistics.median(t) * 1000, 1) if t else None,
            "p99_ms": round(quantile(t, 0.99) * 1000, 1) if t else None,
            "max_ms": round(max(t) * 1000, 1) if t else None,
            "errors": stats.errors.get(kind, 0),
        }
        rows.append(row)
        print(
            f"| {kind} | {row['count']:,} | {row['per_second']:,} | {row['p50_ms']} | "
            f"{row['p99_ms']} | {row['max_ms']} | {row['errors']} |"
        )
    errors = sum(stats.errors.values())
    print(f"| **all** | {total:,} | {total / elapsed:,.1f} | | | | {errors} |")
    polls = len(stats.times["poll 200"]) + len(stats.times["poll 304"])
    if polls:
        print(f"\nPolls answered 304 (unchanged): {len(stats.times['poll 304']) / polls:.0%}")
    ev = stats.events
    print(
        f"Sync results: {ev['accepted']:,} accepted, {ev['duplicate']:,} duplicate (retries), "
        f"{ev['rejected']:,} rejected"
    )
    for sample in stats.error_samples:
        print("  ", sample)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--poll-every", type=float, default=20.0, help="20: the real page")
    parser.add_argument("--sync-every", type=float, default=10.0)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fresh", action="store_true", help="drop and re-seed the scratch db")
    parser.add_argument("--json", default=str(ROOT / "load-results.json"))
    args = parser.parse_args()

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        print(
            "make load needs PostgreSQL: set DATABASE_URL=postgres://user@host:5432/name "
            "(the load runs in a scratch database <name>_load next to it).",
            file=sys.stderr,
        )
        return 2
    load_url, name = scratch_url(url)
    base = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    setup_env = base | {"DATABASE_URL": load_url, "DJANGO_DEBUG": "1"}
    server_env = base | {
        "DATABASE_URL": load_url,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SSL_REDIRECT": "0",  # plain HTTP on loopback; TLS ends at the proxy in production
    }
    prepare(setup_env, server_env, args.fresh, name, url)
    officers, devices = accounts(setup_env, args.users, args.devices, args.seed)

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "kpu.wsgi",
            "--bind",
            f"{HOST}:{port}",
            "--workers",
            str(args.workers),
        ],
        cwd=ROOT,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        asyncio.run(wait_up(port, server))
        print(f"gunicorn on {HOST}:{port} with {args.workers} workers; database {name}")
        stats, elapsed, cpu = asyncio.run(run(args, port, officers, devices))
    finally:
        server.terminate()
        server.wait(timeout=30)
    rows = report(stats, elapsed, args)
    print(f"Load generator CPU: {cpu:.1f} s of {elapsed:.0f} s")

    check = manage(setup_env, "check_figures", REGENCY, check=False)
    clean = check.returncode == 0
    print(f"\ncheck_figures {REGENCY}: " + (check.stdout.strip() or check.stderr.strip())[-600:])
    errors = sum(stats.errors.values())
    Path(args.json).write_text(
        json.dumps(
            {
                "seconds": round(elapsed, 1),
                "users": args.users,
                "devices": args.devices,
                "workers": args.workers,
                "requests": rows,
                "sync_results": dict(stats.events),
                "errors": errors,
                "check_figures_clean": clean,
            },
            indent=2,
        )
        + "\n"
    )
    return 0 if clean and errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
