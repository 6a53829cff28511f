# logsidecar container image.
#
# The build never reaches a package index: every wheel comes from ./wheelhouse, made on the host.
#
#   pip wheel . -w wheelhouse
#   podman build --network=none -t localhost/logsidecar:latest .
#
# Base image: any Debian-like image with Python >= 3.11 as `python3` and the venv module
# (`python3-venv` on Debian). It must have the same Python minor version, libc and CPU
# architecture as the Python that built the wheelhouse, since pydantic-core and PyYAML ship
# compiled wheels. To build from a locally imported image instead of a registry:
#
#   podman build --network=none --build-arg BASE_IMAGE=localhost/base:bookworm \
#       -t localhost/logsidecar:latest .
ARG BASE_IMAGE=python:3.11-slim

# ---- build stage: install the wheels into a self-contained virtualenv ----------------------
FROM ${BASE_IMAGE} AS build

# Set in full: an image made with `podman import` may have no PATH of its own.
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_INPUT=1 \
    PYTHONDONTWRITEBYTECODE=1

COPY wheelhouse/ /wheelhouse/

# A virtualenv (rather than the system site-packages) works on python:*-slim and on Debian's
# own python3 alike (Debian marks its system Python externally managed, PEP 668).
# pip compiles byte code at install time, so the read-only container never needs to write it.
# pip and setuptools are removed afterwards: the runtime needs neither. The last line checks
# that the console script and all its imports resolve from the wheelhouse alone.
RUN set -eu; \
    ls /wheelhouse/logsidecar-*.whl >/dev/null 2>&1 \
      || { echo "wheelhouse/ has no logsidecar wheel: run 'pip wheel . -w wheelhouse' first" >&2; exit 1; }; \
    python3 -m venv /opt/logsidecar; \
    /opt/logsidecar/bin/python -m pip install --no-index --find-links /wheelhouse logsidecar; \
    /opt/logsidecar/bin/python -m pip uninstall -y pip setuptools; \
    /opt/logsidecar/bin/logsidecar --help >/dev/null

# ---- runtime stage: the same base, the virtualenv, nothing else ----------------------------
FROM ${BASE_IMAGE}

LABEL org.opencontainers.image.title="logsidecar" \
      org.opencontainers.image.description="Log-parsing sidecar for Kubernetes Pods: tails files in a shared volume, applies YAML rules, serves Prometheus metrics." \
      org.opencontainers.image.licenses="Apache-2.0"

# Numeric, non-root identity; the Pod's securityContext refers to the same numbers.
# /etc/logsidecar is where the rules ConfigMap is mounted; /var/lib/logsidecar holds checkpoints
# (an emptyDir in Kubernetes; writable here too for `podman run` without a volume).
RUN set -eu; \
    groupadd --system --gid 10001 logsidecar; \
    useradd --system --uid 10001 --gid 10001 --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin logsidecar; \
    mkdir -p /etc/logsidecar /var/lib/logsidecar; \
    chown 10001:10001 /var/lib/logsidecar; \
    chmod 0750 /var/lib/logsidecar

COPY --from=build /opt/logsidecar /opt/logsidecar

ENV PATH=/opt/logsidecar/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONFAULTHANDLER=1 \
    PROMETHEUS_DISABLE_CREATED_SERIES=True \
    LOGSIDECAR_RULES=/etc/logsidecar \
    LOGSIDECAR_STATE_DIR=/var/lib/logsidecar

USER 10001:10001
EXPOSE 9879
# logsidecar drains its files, commits its checkpoint and exits 0 on SIGTERM.
STOPSIGNAL SIGTERM

ENTRYPOINT ["logsidecar"]
CMD ["run"]
