"""The demo workspace: seeded by ``manage.py seed_demo`` (scripts/demo.sh). It may use every app;
no app uses it."""
