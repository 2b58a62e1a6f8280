"""Run by test_sqlite_demo: several threads read then write in transactions, as the demo's web
server, in-process tasks and webhook deliveries do on one SQLite file. Prints the errors."""

import sys
import threading

import django

django.setup()

from django.db import connection, connections, transaction  # noqa: E402

THREADS, ROUNDS = 6, 25
errors: list[str] = []
barrier = threading.Barrier(THREADS)

with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY, n INTEGER)")
    cursor.execute("INSERT OR IGNORE INTO counter (id, n) VALUES (1, 0)")
connection.close()


def writer():
    try:
        barrier.wait()
        for _ in range(ROUNDS):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT n FROM counter WHERE id = 1")
                (n,) = cursor.fetchone()
                cursor.execute("UPDATE counter SET n = %s WHERE id = 1", [n + 1])
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        connections.close_all()


threads = [threading.Thread(target=writer) for _ in range(THREADS)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
with connection.cursor() as cursor:
    cursor.execute("SELECT n FROM counter WHERE id = 1")
    total = cursor.fetchone()[0]
print(f"errors={len(errors)} total={total} expected={THREADS * ROUNDS}")
for error in errors[:3]:
    print(error)
sys.exit(1 if errors or total != THREADS * ROUNDS else 0)
