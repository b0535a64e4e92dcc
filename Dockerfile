# ROMIN web and worker image. The app is installed from its wheel, which carries the templates,
# the migrations, the static files and the demo catalogue (setup.py, MANIFEST.in): nothing of
# the checkout is copied into the final image. DSFR comes from npm at build time and is served
# by the app from DSFR_DIR; support files live in SUPPORTS_DIR (a volume, docker-compose.yml).
FROM node:20-bookworm-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
# --omit=optional: the PostgreSQL binaries of development (app/devstack.py) stay out
RUN npm ci --ignore-scripts --no-audit --no-fund --omit=optional \
    && mkdir -p /assets && cp -r node_modules/@gouvfr/dsfr/dist /assets/dsfr

FROM python:3.11-slim-bookworm AS wheel
WORKDIR /build
COPY setup.py setup.cfg pyproject.toml MANIFEST.in README.md ./
COPY app ./app
COPY indexer ./indexer
COPY ranking ./ranking
COPY templates ./templates
COPY migrations ./migrations
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /dist .

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    DSFR_DIR=/srv/romin/dsfr SUPPORTS_DIR=/var/lib/romin/supports ROMIN_PRODUCTION=1 \
    BIND=0.0.0.0:8000
COPY --from=wheel /dist /tmp/dist
RUN pip install --no-cache-dir /tmp/dist/*.whl && rm -rf /tmp/dist
COPY --from=assets /assets/dsfr /srv/romin/dsfr
RUN useradd --system --uid 10001 romin && mkdir -p /var/lib/romin/supports \
    && chown -R romin /var/lib/romin
WORKDIR /var/lib/romin
USER romin
EXPOSE 8000
# the settings module is read from the installed package, not from a path of the checkout
CMD ["gunicorn", "--config", "python:app.gunicorn_conf", "app.wsgi:app"]
