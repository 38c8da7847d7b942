FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# pg_dump/pg_restore of the server's major version (16, as in docker-compose.yml) for
# `manage.py backup` and `restore`, from the PostgreSQL project's Debian repository.
ARG PG_MAJOR=16
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl \
    && install -d /usr/share/postgresql-common/pgdg \
    && curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc \
       https://www.postgresql.org/media/keys/ACCC4CF8.asc \
    && echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt bookworm-pgdg main" \
       > /etc/apt/sources.list.d/pgdg.list \
    && apt-get update && apt-get install -y --no-install-recommends \
       libpango-1.0-0 libpangoft2-1.0-0 postgresql-client-${PG_MAJOR} \
    && apt-get purge -y curl && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements/base.txt requirements/base.txt
RUN pip install --no-cache-dir -r requirements/base.txt
COPY . .
# /data/media (stored files) and /data/beat (beat's schedule) are volumes in
# docker-compose.yml; made here so a new volume belongs to the app's user.
RUN DEBUG=1 python manage.py collectstatic --noinput \
    && useradd --create-home app && chown -R app /app \
    && mkdir -p /data/media /data/beat && chown -R app /data
ENV MEDIA_ROOT=/data/media
USER app
EXPOSE 8000
CMD ["gunicorn", "peersupport.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
