# opsdesk production image: gunicorn serving opsdesk.wsgi, static files by whitenoise.
# The same image runs the web server, the Celery worker and beat (see docker-compose.yml).
#
#   docker build -t opsdesk .
#   docker run -e SECRET_KEY=... -e ALLOWED_HOSTS=... -e DATABASE_URL=... -e REDIS_URL=... opsdesk

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OPSDESK_PRODUCTION=1

RUN groupadd --system opsdesk \
    && useradd --system --gid opsdesk --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin opsdesk

WORKDIR /app

# Dependencies first, from pyproject.toml alone, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
# Editable on purpose: settings find templates/, static/, locale/ beside manage.py
# (BASE_DIR), so the code must run from /app, not from a copy in site-packages.
RUN pip install --no-deps -e .

# Static files are collected at build time; production settings refuse to load without a
# strong key and hosts, so the build uses throwaway ones that never reach a running container.
RUN SECRET_KEY="build-only-$(python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
    ALLOWED_HOSTS=build.invalid \
    python manage.py collectstatic --no-input -v 0

# The code stays owned by root and read-only for the server; nothing is written under /app at
# run time (the database is DATABASE_URL, beat keeps its schedule file in /tmp).
USER opsdesk

EXPOSE 8000
# WEB_CONCURRENCY (gunicorn's own variable) sets the number of worker processes.
CMD ["gunicorn", "opsdesk.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
