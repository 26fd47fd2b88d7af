# The prediction service image: serving dependencies, the serving code and the
# gated bundle, nothing else. Build it through the pipeline (`pytest -m build`),
# which prepares build/wheels and refuses a bundle the model stage did not gate.
# No `# syntax=` line: fetching a frontend image needs a registry.

# The official image where a registry is reachable; scripts/docker/base-image.sh
# builds a Debian bookworm + Python 3.11 stand-in where it is not.
ARG BASE=python:3.11-slim

FROM ${BASE} AS deps
# Wheels downloaded on the host (scripts/wheelhouse.sh): the build needs no
# network, and --require-hashes installs exactly the locked serving set.
COPY requirements/serving.txt /tmp/serving.txt
COPY build/wheels /tmp/wheels
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --no-index --find-links /tmp/wheels \
       --require-hashes --no-deps -r /tmp/serving.txt \
    && /opt/venv/bin/pip uninstall --yes pip setuptools \
    && find /opt/venv -name '__pycache__' -prune -exec rm -rf {} +

FROM ${BASE} AS runtime
ARG GIT_SHA=unknown
ARG CREATED=unknown
ARG MODEL_VERSION=unknown
ARG BUNDLE_SHA256=unknown
LABEL org.opencontainers.image.title="stopline prediction service" \
      org.opencontainers.image.revision="${GIT_SHA}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.version="${MODEL_VERSION}" \
      dev.stopline.model.version="${MODEL_VERSION}" \
      dev.stopline.bundle.sha256="${BUNDLE_SHA256}"
ENV PATH=/opt/venv/bin:${PATH} \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    STOPLINE_SERVICE_BUNDLE=/app/model \
    STOPLINE_SERVICE_HOST=0.0.0.0 \
    STOPLINE_SERVICE_PORT=8000
COPY --from=deps /opt/venv /opt/venv
WORKDIR /app
# .dockerignore admits service/ without service/train: serving imports nothing from training.
COPY service/ /app/service/
COPY artifacts/model/ /app/model/
# Fail the build, not the deploy, if the bundle is incomplete or changed.
RUN python -c "from service.bundle import load_bundle; load_bundle('/app/model')"
# A numeric uid works on any base, with or without useradd.
USER 65532:65532
EXPOSE 8000
HEALTHCHECK --interval=2s --timeout=2s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health/ready', timeout=2)"]
ENTRYPOINT ["python", "-m", "service"]
