FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint needs Pango; fonts come from Debian packages, never fetched at run time.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
      libharfbuzz-subset0 fonts-dejavu-core fonts-liberation2 gettext \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock .
RUN pip install -r requirements.lock

# .dockerignore keeps the test doubles (emulators/) out of the image: production talks to the
# real Stripe and VIES.
COPY . .
RUN for po in locale/*/LC_MESSAGES/*.po; do [ -f "$po" ] && msgfmt -o "${po%.po}.mo" "$po"; done; \
    SECRET_KEY=build-only-not-secret-0123456789-abcdefghijklmnopqrstuvwxyz \
    MSPERCURY_ENCRYPTION_KEYS=v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    ALLOWED_HOSTS=build python manage.py collectstatic --no-input -v 0

RUN useradd --create-home --uid 1000 mspercury && mkdir -p /app/media && chown mspercury /app/media
USER mspercury

EXPOSE 8000
CMD ["gunicorn", "mspercury.wsgi:application", "--config", "gunicorn.conf.py"]
