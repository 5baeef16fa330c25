# syntax=docker/dockerfile:1
#
# Vigil: one static binary that runs every role (vigil run --target=ROLE),
# on a distroless base with the demo data, so that the image runs the demo
# as it is:
#
#   docker build -t vigil:dev .
#   docker run --rm -p 127.0.0.1:8080:8080 -e VIGIL_ADMIN_TOKEN=choose-a-long-token vigil:dev
#
# A release build names its version and commit (vigil version, evidence
# pack manifests):
#
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#                --build-arg COMMIT=$(git rev-parse --short=12 HEAD) -t vigil:VERSION .
#
# The example Alertmanager webhook receiver (examples/alertwebhook) is the
# target alertwebhook: docker build --target alertwebhook -t vigil-alertwebhook .
#
# Base images are pinned by tag. For builds that must not change under you,
# pin them by digest as well (FROM golang:1.26.8-bookworm@sha256:...): look
# the digests up with `docker buildx imagetools inspect IMAGE:TAG`.
#
# The image has no shell, curl or wget, so it has no HEALTHCHECK: compose
# restarts a role that exits, and Kubernetes probes /healthz and /readyz
# over HTTP (deploy/k8s). cmd/vigil/deploy_test.go runs this file's build
# command on the host and checks that the binary is static, since the
# machine this was written on had no Docker engine (docs/deployment.md).

ARG GO_IMAGE=golang:1.26.8-bookworm
ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot

# The workspace, with its modules downloaded: what both builds start from.
FROM ${GO_IMAGE} AS source
WORKDIR /src
# The workspace's module files first, so that the module download is
# cached until one of them changes. Every module that go.work uses is
# listed (deploy_test checks it).
COPY go.work go.work.sum ./
COPY api/go.mod api/go.sum api/
COPY bus/go.mod bus/go.sum bus/
COPY classify/go.mod classify/go.sum classify/
COPY cmd/go.mod cmd/go.sum cmd/
COPY event/go.mod event/
COPY examples/go.mod examples/
COPY ingest/go.mod ingest/go.sum ingest/
COPY internal/go.mod internal/go.sum internal/
COPY store/go.mod store/go.sum store/
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .

FROM source AS build
# VERSION and COMMIT become `vigil version` (VERSION+COMMIT) and the
# commit in evidence pack manifests. .git is not in the build context
# (.dockerignore), hence -buildvcs=false and the commit as an argument.
ARG VERSION=dev
ARG COMMIT=
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.Version=${VERSION}${COMMIT:++}${COMMIT}" \
      -o /out/vigil ./cmd/vigil
# The demo data, for `vigil run` with the configs in deploy/ (the binary
# embeds its own copy for `vigil run` without --config): the examples
# module without its Go code and tools.
RUN mkdir -p /out/examples /out/data \
    && cp -R examples/. /out/examples/ \
    && cd /out/examples && rm -rf go.mod ./*.go tools alertwebhook

FROM source AS build-alertwebhook
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "-s -w" \
      -o /out/alertwebhook ./examples/alertwebhook

# The example webhook receiver (deploy/compose service alertwebhook).
FROM ${RUNTIME_IMAGE} AS alertwebhook
COPY --from=build-alertwebhook /out/alertwebhook /alertwebhook
USER 65532:65532
EXPOSE 9095
ENTRYPOINT ["/alertwebhook"]
CMD ["-addr", "0.0.0.0:9095"]

# Vigil itself: the last stage, what `docker build .` makes.
FROM ${RUNTIME_IMAGE} AS vigil
# distroless/static has CA certificates (for the sources' HTTPS) and
# time zone data; the binary needs nothing else.
COPY --from=build /out/vigil /vigil
COPY --from=build /out/examples /usr/share/vigil/examples
COPY --from=build /src/NOTICE /usr/share/doc/vigil/NOTICE
COPY --from=build --chown=65532:65532 /out/data /var/lib/vigil
# The data directory is a volume in compose and an emptyDir in Kubernetes.
# These two override data_dir and http.addr of a config file; --data-dir
# and --http-addr override them.
ENV VIGIL_DATA_DIR=/var/lib/vigil \
    VIGIL_HTTP_ADDR=0.0.0.0:8080
# Numeric, so that Kubernetes' runAsNonRoot can check it (distroless's
# user nonroot is 65532).
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/vigil"]
CMD ["run"]
