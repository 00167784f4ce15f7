# Build a static binary, then run it as a non-root user on a minimal base.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/licensedesk ./cmd/licensedesk

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/licensedesk /usr/local/bin/licensedesk
COPY examples /etc/licensedesk/examples
# In a container a restart loses an embedded store: serve refuses to start
# without LICENSEDESK_REDIS_URL unless LICENSEDESK_ALLOW_EMBEDDED_STORE=true.
ENV LICENSEDESK_IN_CONTAINER=1
USER nonroot:nonroot
EXPOSE 8080
# distroless has no shell and no curl: the binary asks its own /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/licensedesk", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/licensedesk"]
CMD ["serve", "--config", "/etc/licensedesk/examples/licensedesk.yaml"]
