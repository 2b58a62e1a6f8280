# Gunicorn settings for production (docker-compose and the Dockerfile use this file).
import os

bind = "0.0.0.0:8000"
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
# Threads let requests that wait on the database's commit flush (the webhook intake, chiefly)
# share it instead of queueing behind one another; the app keeps no per-thread state outside
# contextvars and thread-safe caches.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
accesslog = "-"
# Access-log lines never carry a token-shaped path segment (share, invite, webhook, pay and
# sign-in links) or a key.
logger_class = "mspercury.gunicorn_logging.RedactingLogger"
