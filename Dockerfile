# syntax=docker/dockerfile:1
# One image for every SmartAir program: the processor, the bot, the migrations (`alembic upgrade head`) and
# the broker (`python -m processor.broker`: the Debian Mosquitto installed below on the shipped
# mosquitto/mosquitto.conf, with dynamic security). The service's command in docker-compose.yml chooses.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
WORKDIR /src
# The pinned runtime dependencies, read from pyproject.toml (the only place versions are pinned), are their
# own layer: a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > requirements.txt \
    && /opt/venv/bin/pip install -r requirements.txt

FROM ${PYTHON_IMAGE} AS runtime
# mosquitto (with its dynamic-security plugin and mosquitto_ctrl) serves the broker service only; it is a
# small package, and one image keeps build, push and deploy single. /mosquitto/data is the shipped
# configuration's persistence_location.
RUN apt-get update \
    && apt-get install -y --no-install-recommends mosquitto mosquitto-clients \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --create-home --home-dir /home/smartair smartair \
    && mkdir -p /data/firmware /data/clickhouse-spool /mosquitto/data \
    && chown -R smartair:smartair /data /mosquitto
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY alembic.ini ./
COPY alembic ./alembic
COPY mosquitto ./mosquitto
COPY core ./core
COPY processor ./processor
COPY bot ./bot
COPY charts ./charts
COPY device ./device
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    FIRMWARE_DIR=/data/firmware \
    CLICKHOUSE_SPOOL_DIR=/data/clickhouse-spool
USER smartair
CMD ["python", "-m", "processor"]
