"""The benchmark's smoke run, `python -m bench --quick`: it runs end to end against both servers
and produces figures. What the figures are is the benchmark's business, never a test's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ("sign_in", "get_user", "list_users_1000", "list_users_2000")


def test_quick_run_produces_figures_for_both_servers(tmp_path: Path) -> None:
    pytest.importorskip("moto", reason="the bench extra is not installed")
    pytest.importorskip("gunicorn", reason="the bench extra is not installed")
    output = tmp_path / "result.json"
    # The run makes its own settings; the test run's must not reach it.
    env = {
        k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")
    }

    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--db",
            "sqlite",
            # Messaging runs SignUps from several processes, which SQLite answers with "database
            # is locked": that scenario is for PostgreSQL.
            "--scenarios",
            "sign_in,get_user,list_users",
            "--output",
            str(output),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(output.read_text())
    for scenario in SCENARIOS:
        for server in ("cognitoadmin", "moto"):
            figures = report["scenarios"][scenario][server]
            assert figures["requests"] > 0, (scenario, server, figures)
            assert figures["errors"] == 0, (scenario, server, figures["first_error"])
    assert report["scenarios"]["list_users_2000"]["cognitoadmin"]["users_per_answer"] == 10
    assert report["scenarios"]["list_users_2000"]["moto"]["users_per_answer"] == 10
    assert report["floor"]["sign_ins_per_core_second"] > 0
    assert set(report["summary"]["ours_over_moto"]) == set(SCENARIOS)
    assert "ours/moto" in run.stdout
