"""The demo: `manage.py seed_demo` fills a workspace a newcomer can push to the Stripe emulator.

A tiny Django app (a management command, no models) outside the product apps, so that it may
import every app and build its sample data with the worlds of ``tests/factories.py``, which the
tests and the benchmarks build too. scripts/demo.sh runs it.
"""
