# One image for every process of the assistant: Rasa, the action server, the chat hub and the
# case-status service; the Kubernetes manifests (deploy/kubernetes/) pick the process with the
# container's command. Build: docker build -t uscis-assistant:0.1.0 .   (docs/deploy.md)
#
# The model: models/current.tar.gz from the build context when it exists (`make train` first,
# the usual way: the image then holds the model you tested), otherwise it is trained here.

# --- the demo page's USWDS files (package-lock.json), copied into the final image
FROM node:20-slim AS web
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error

# --- the Python environment, the project, the model
FROM python:3.10-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    HOME=/tmp \
    RASA_TELEMETRY_ENABLED=false \
    SANIC_ACCESS_LOG=false

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them. requirements.lock is the
# same locked set that `make setup` installs (it includes the test tools; they are small).
COPY requirements.lock ./
RUN python -m venv /opt/venv \
    && pip install --no-cache-dir "uv==0.13.9" \
    && uv pip install --no-cache -p /opt/venv/bin/python -r requirements.lock

COPY . .
COPY --from=web /build/node_modules ./node_modules
RUN uv pip install --no-cache -p /opt/venv/bin/python --no-deps -e . \
    && if [ ! -f models/current.tar.gz ]; then \
        rasa train --fixed-model-name current --out models; \
    fi \
    && test -f models/current.tar.gz \
    && rm -rf .rasa \
    && mkdir -p var \
    && useradd --uid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin assistant \
    && chown assistant var

# A numeric user, so that Kubernetes' runAsNonRoot can check it.
USER 10001

# Ports: Rasa 5005, action server 5055, chat hub 8000, case-status service 8001.
EXPOSE 5005 5055 8000 8001

# Without a command: the chat hub. The manifests set the command of every other process.
CMD ["python", "-m", "services.hub"]
