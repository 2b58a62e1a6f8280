"""The SQLite demo database under concurrent writers (web server, in-process tasks, webhooks)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_concurrent_read_then_write_transactions_never_fail_with_database_locked(tmp_path):
    """Read-then-write transactions from six threads all land: no "database is locked"."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "mspercury.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
    }
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "tests.mspercury.sqlite_writers"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "errors=0 total=150 expected=150" in result.stdout
