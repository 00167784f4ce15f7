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
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/licensedesk"]
CMD ["serve"]
