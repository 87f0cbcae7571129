# probe with Debian's Chromium and Firefox ESR, for CI jobs that run in containers.
#
#   docker build -t probe .
#   docker run --rm -v "$PWD/reports:/work/reports" probe browser --scenario healthy --report-dir reports/healthy
#   docker run --rm -v "$PWD:/work" probe ci --junit reports/junit.xml
#
# It runs as root, as on probe's own test machine: probe then starts Chromium with
# --no-sandbox itself (a container's default seccomp profile denies the user namespaces
# Chromium's sandbox needs; the container is the isolation). probe installs exactly the
# versions uv.lock pins, without the development tools, compiled to bytecode at build time
# (a start of probe that compiles its imports takes 3 times longer, scripts/setup.sh).
FROM debian:bookworm-slim

ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        chromium firefox-esr python3 python3-venv ca-certificates fonts-liberation \
    && rm -rf /var/lib/apt/lists/*

# uv at the version uv.lock pins (tests/test_ci_pieces.py checks they agree).
ARG UV_VERSION=0.13.9
RUN python3 -m venv /opt/uv && /opt/uv/bin/pip install --no-cache-dir "uv==${UV_VERSION}"

COPY . /src
RUN cd /src \
    && /opt/uv/bin/uv export --locked --no-dev --no-emit-project --no-hashes -o /tmp/requirements.txt \
    && /opt/uv/bin/uv venv --python /usr/bin/python3 /opt/probe \
    && /opt/uv/bin/uv pip install --python /opt/probe/bin/python --no-cache --compile-bytecode \
        -r /tmp/requirements.txt /src \
    && rm -rf /src /tmp/requirements.txt

ENV PATH=/opt/probe/bin:$PATH \
    PROBE_CHROMIUM=/usr/lib/chromium/chromium \
    PROBE_FIREFOX=/usr/lib/firefox-esr/firefox-esr
WORKDIR /work
ENTRYPOINT ["probe"]
CMD ["--help"]
