FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
    && rm -rf /var/lib/apt/lists/*
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
