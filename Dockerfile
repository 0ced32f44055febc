# Production image: gunicorn for the web, the same image for Celery worker and beat.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production
WORKDIR /app

COPY pyproject.toml constraints.txt scripts/requirements.py ./
RUN python requirements.py > /tmp/requirements.txt \
    && pip install --no-cache-dir -c constraints.txt -r /tmp/requirements.txt

COPY . .
# collectstatic needs settings but no secrets of value.
RUN DJANGO_SECRET_KEY=collectstatic-only-$(python -c "print('x'*60)") \
    DJANGO_ALLOWED_HOSTS=localhost DATABASE_URL=postgres://x:x@localhost/x \
    REDIS_URL=redis://localhost:6379/0 python manage.py collectstatic --no-input

RUN useradd --system --uid 10001 app
USER app
EXPOSE 8000
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--logger-class", "config.gunicorn_logging.SecretPathsMaskedLogger"]
