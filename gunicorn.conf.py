# Gunicorn settings for production (docker-compose and the Dockerfile use this file).
bind = "0.0.0.0:8000"
workers = 3
accesslog = "-"
# Access-log lines never carry a token-shaped path segment (share, invite, webhook, pay and
# sign-in links) or a key.
logger_class = "mspercury.gunicorn_logging.RedactingLogger"
