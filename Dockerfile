# syntax=docker/dockerfile:1.7
#
# IMP's image: one static binary on a distroless base, running as nonroot.
# The same image runs every workload of the chart (deploy/helm/imp):
#
#   docker build -t ghcr.io/imp-health/imp:0.1.0 .
#   docker run --rm -p 8080:8080 ghcr.io/imp-health/imp:0.1.0          # imp serve: embedded broker and store in /data
#   docker run --rm ghcr.io/imp-health/imp:0.1.0 consume --list         # any subcommand
#
# internal/manifests' tests check this file's shape and that the build
# command below produces a static binary.

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
ARG TARGETOS
ARG TARGETARCH
WORKDIR /src
# Dependencies first: this layer and the module cache survive source edits.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
# VERSION is what `imp version` reports (the build context has no .git).
ARG VERSION=devel
# Static (no cgo: the SQLite driver is pure Go), reproducible paths, no
# symbol tables. Cross-compiles for the target platform without emulation.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags "-s -w -X github.com/imp-health/imp/internal/app.version=${VERSION}" -o /out/imp ./cmd/imp
# The data directory must exist and belong to nonroot: the final image has
# no shell to create it.
RUN mkdir -p /out/data

# static-debian12 has CA certificates (Kafka TLS, PostgreSQL TLS, webhooks)
# and tzdata, no shell, no package manager; :nonroot runs as uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/imp /imp
COPY --from=build --chown=65532:65532 /out/data /data
# The embedded broker's log, the SQLite store and local files (imp serve);
# on Kubernetes the chart mounts an emptyDir here.
ENV IMP_DATA_DIR=/data
VOLUME ["/data"]
# The REST API, /healthz, /readyz and /metrics.
EXPOSE 8080
USER nonroot
ENTRYPOINT ["/imp"]
CMD ["serve"]
