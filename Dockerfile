# dragops-sync as a service: the GitOps daemon (and every other dragops-sync command) in a container.
#
#   docker build -t dragops-sync .
#   docker run --rm -e DRAGOPS_URL -e DRAGOPS_TOKEN -e DRAGOPS_SYNC_GIT_TOKEN -p 9099:9099 dragops-sync \
#       watch --repo https://git.example.com/acme/automations.git --path prod --status-addr 0.0.0.0:9099
#
# The default command watches a checkout mounted at /repo. Only the core is installed (no [pulumi],
# no [emulator] extra); credentials come from the environment at run time, nothing secret is in the
# image. Kubernetes manifests: deploy/kubernetes/.

# An exact tag, so a rebuild gets the same Python and Debian release.
ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY sync/dragops_sync sync/dragops_sync
COPY provider/pulumi_dragops provider/pulumi_dragops
COPY emulator/dragops_emulator emulator/dragops_emulator
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}

# git clones and fetches the watched repository; openssh-client for ssh:// and scp-style URLs.
# DL3008 (pin apt versions) is ignored on purpose: Debian keeps only the current patch release of a
# package in its archive, so a pinned version breaks the build at the next security update; the
# exact base tag already fixes the Debian release. safe.directory: a checkout mounted from the host at
# /repo belongs to another uid, and git refuses to read such a repository without it.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates git openssh-client \
    && rm -rf /var/lib/apt/lists/* \
    && git config --system --add safe.directory /repo

# A fixed numeric uid, so Kubernetes' runAsNonRoot can check it without a runAsUser.
RUN groupadd --system --gid 10001 dragops \
    && useradd --system --uid 10001 --gid dragops --home-dir /home/dragops --create-home \
       --shell /usr/sbin/nologin dragops

COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl \
    && rm -rf /wheels

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1

USER 10001:10001
WORKDIR /home/dragops
EXPOSE 9099

# /healthz of the default command's status server (503 when the loop stalls or the fetch keeps failing).
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:9099/healthz', timeout=4)"]

ENTRYPOINT ["dragops-sync"]
CMD ["watch", "/repo", "--status-addr", "0.0.0.0:9099"]
