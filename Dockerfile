# ROMIN web and worker image. DSFR comes from npm at build time and is served by the app.
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund --omit=optional \
    && mkdir -p /assets && cp -r node_modules/@gouvfr/dsfr/dist /assets/dsfr

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DSFR_DIR=/srv/romin/dsfr SUPPORTS_DIR=/var/lib/romin/supports ROMIN_PRODUCTION=1
WORKDIR /srv/romin
COPY setup.cfg pyproject.toml README.md ./
COPY app ./app
COPY indexer ./indexer
COPY ranking ./ranking
RUN pip install --no-cache-dir .
COPY templates ./templates
COPY migrations ./migrations
COPY --from=assets /assets/dsfr ./dsfr
RUN useradd --system --uid 10001 romin && mkdir -p /var/lib/romin/supports \
    && chown -R romin /var/lib/romin
USER romin
EXPOSE 8000
CMD ["gunicorn", "--config", "app/gunicorn_conf.py", "app.wsgi:app"]
