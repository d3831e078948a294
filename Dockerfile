# syntax=docker/dockerfile:1
# One image for every app process: web (the default CMD, gunicorn), the Celery worker,
# Celery beat and one-off manage.py commands. docker-compose.yml wires them together.
FROM python:3.11-slim

# PYTHONPATH=/app: the code under /app is the one that runs (gunicorn, celery, manage.py).
# WEB_CONCURRENCY: gunicorn's number of workers; override per container if needed.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    WEB_CONCURRENCY=3

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --create-home --home-dir /home/app \
        --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first, read from pyproject.toml (no dev extras): this layer is rebuilt
# only when pyproject.toml changes, not on every code change.
COPY pyproject.toml ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY manage.py ./
COPY dashboard/ ./dashboard/
COPY ingest/ ./ingest/
COPY templates/ ./templates/
COPY static/ ./static/

# Install the project itself (its dependencies are already in), then collect static files
# into /app/staticfiles for WhiteNoise. collectstatic needs no database or Redis; the
# SECRET_KEY here exists only for this RUN step and is not kept in the image.
RUN pip install --no-cache-dir --no-deps . \
    && rm -rf build ./*.egg-info \
    && SECRET_KEY=build-only-not-secret python manage.py collectstatic --no-input -v0

# Code and static files stay root-owned and read-only for the app user.
USER app

EXPOSE 8000
CMD ["gunicorn", "dashboard.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--graceful-timeout", "5", "--worker-tmp-dir", "/dev/shm"]
