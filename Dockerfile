# pve-mcp for Cloud Run (or any container platform): cmd/server, a static
# binary on a distroless base with CA certificates, running as non-root.
#
#   docker build --platform linux/amd64 -t pve-mcp .
#   docker run --rm -p 8080:8080 -e PVE_DEMO=true pve-mcp
#
# See docs/deploy.md for gcloud run deploy.

# Build on the builder's own platform, cross-compile for the target.
FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
ARG TARGETOS=linux
ARG TARGETARCH=amd64
WORKDIR /src
# Dependencies first: this layer is reused until go.mod/go.sum change.
COPY go.mod go.sum ./
RUN go mod download && go mod verify
COPY . .
RUN CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags="-s -w" -o /out/pve-mcp-server ./cmd/server

# static-debian12: no shell, no package manager; CA certificates, tzdata and
# /etc/passwd with the nonroot user (65532) only.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/pve-mcp-server /usr/local/bin/pve-mcp-server
USER 65532:65532
# Cloud Run sets PORT; this is the default elsewhere.
ENV PORT=8080
EXPOSE 8080
# Exec form: the server is PID 1 and receives Cloud Run's SIGTERM itself.
ENTRYPOINT ["/usr/local/bin/pve-mcp-server"]
