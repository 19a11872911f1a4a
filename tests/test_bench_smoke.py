"""`make bench` works: its driver runs end to end in its smallest mode (PostgreSQL only).

The figures of a smoke run mean nothing; what is checked is that every part ran and wrote its
metrics in the promised shape. The real run is `make bench` (docs/benchmarks.md).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import dj_database_url
import pytest

ROOT = Path(__file__).resolve().parent.parent
URL = os.environ.get("DATABASE_URL", "")

postgresql_only = pytest.mark.skipif(
    not URL or dj_database_url.parse(URL)["ENGINE"] != "django.db.backends.postgresql",
    reason="make bench measures PostgreSQL only",
)


@postgresql_only
def test_bench_driver_runs_every_part_and_writes_its_results(tmp_path):
    out = tmp_path / "bench-results.json"
    scratch = dj_database_url.parse(URL)["NAME"] + "_smoke"
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "run.py"),
            "--smoke",
            "--scratch",
            scratch,
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,  # a guard against a hang: a loaded shared machine takes minutes
        env={**os.environ, "DATABASE_URL": URL},
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    rows = json.loads(out.read_text())
    assert all(set(r) == {"metric", "value", "unit", "goal", "ok"} for r in rows)
    metrics = {r["metric"]: r for r in rows}
    for prefix in (
        "page: ratio",
        "partial: ratio",
        "304: unchanged poll /",
        "sync: batch /",
        "import: import_pemilih / bare",
        "rekap:",
        "export: memory",
        "stage: memory",
        "queue: ratio",
        "queue: first page weight",
        "pleno: hold / bare",
    ):
        assert any(m.startswith(prefix) for m in metrics), prefix
    goals = [r for r in rows if r["goal"] is not None]
    assert goals and all(r["ok"] == (r["value"] <= r["goal"]) for r in goals)
    assert "goal(s) missed" in run.stdout
    # The scratch databases are gone.
    check = subprocess.run(
        [
            sys.executable,
            "-c",
            "import psycopg,sys; c=psycopg.connect(sys.argv[1]); print(c.execute("
            "\"select count(*) from pg_database where datname like %s\", [sys.argv[2] + '%']"
            ").fetchone()[0])",
            URL,
            scratch,
        ],
        capture_output=True,
        text=True,
    )
    assert check.stdout.strip() == "0", check.stderr


def test_bench_refuses_a_database_that_is_not_postgresql(tmp_path):
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke"],
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"},
    )
    assert run.returncode == 2 and "not PostgreSQL" in run.stderr

    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--smoke"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert run.returncode == 2 and "DATABASE_URL is not set" in run.stderr
