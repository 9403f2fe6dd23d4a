# syntax=docker/dockerfile:1
# Multi-stage build: a static, CGO-free roachdog on an empty base image,
# running as a non-root user.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" \
      -o /out/roachdog ./cmd/roachdog

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/roachdog /usr/local/bin/roachdog
COPY conf.d/roachdog.d/conf.yaml /etc/roachdog/conf.d/roachdog.d/conf.yaml
WORKDIR /etc/roachdog
USER 65532:65532
# Self-metrics and probes; bind to all interfaces inside the container.
EXPOSE 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/usr/local/bin/roachdog", "healthcheck", "--url", "http://127.0.0.1:9464/healthz"]
ENTRYPOINT ["/usr/local/bin/roachdog"]
CMD ["run", "--config", "/etc/roachdog/conf.d/roachdog.d/conf.yaml"]
