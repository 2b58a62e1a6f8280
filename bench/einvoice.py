"""Validation counts of the e-invoices issue 22 names: errors and warnings per rule set.

    .venv/bin/python bench/einvoice.py

Each case is built as the product builds it (billing.einvoice.compose from Stripe's lines, the
payment means from billing.einvoice.means) and checked offline: the Factur-X EN 16931 XSD (both
XMLs), the CEN EN 16931 Schematron (Factur-X XML), and the CEN plus KoSIT XRechnung Schematron
(XRechnung XML). Cells are errors/warnings. No database is needed.
"""

import base64
import os
import secrets
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mspercury.settings")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SECRET_KEY", "bench-only-" + secrets.token_urlsafe(48))
os.environ.setdefault(
    "MSPERCURY_ENCRYPTION_KEYS", "v1:" + base64.b64encode(secrets.token_bytes(32)).decode()
)

import django

django.setup()

from tests.einvoice import cases  # noqa: E402


def main() -> int:
    header = ["case", *cases.RULE_SETS, "rules warned", "seconds"]
    rows = []
    failed = False
    for name, einvoice in cases.cases().items():
        started = time.perf_counter()
        found = cases.rule_set_findings(einvoice)
        seconds = time.perf_counter() - started
        counts = {rule_set: cases._count(f) for rule_set, f in found.items()}
        failed |= any(c.errors for c in counts.values())
        warned = sorted({f.rule for f_ in found.values() for f in f_ if not f.is_error})
        rows.append(
            [name, *(str(counts[r]) for r in cases.RULE_SETS), ", ".join(warned) or "–",
             f"{seconds:.2f}"]
        )  # fmt: skip
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    print("errors/warnings per rule set")
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
