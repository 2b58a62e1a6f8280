"""Shared set-up for the benchmarks: a throwaway database and Django configured from the env.

Run from the repository root, e.g. `.venv/bin/python bench/push.py`. Without DATABASE_URL the
benchmarks use a temporary SQLite file; with it (PostgreSQL) they create and drop a test database.
"""

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django():
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault(
        "SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
    )
    os.environ.setdefault(
        "MSPERCURY_ENCRYPTION_KEYS", "v1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
    )
    os.environ.setdefault("MSPERCURY_CELERY_EAGER", "1")
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mspercury.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_test_environment

    setup_test_environment()
    old_name = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":
        # A file, not Django's shared-cache in-memory test database: its table locks fail
        # concurrent workers at once instead of waiting (the busy timeout applies to files).
        connection.settings_dict["TEST"]["NAME"] = f"{old_name}.test"
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    return lambda: connection.creation.destroy_test_db(old_name, verbosity=0)
