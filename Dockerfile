# The sluice worker and sluicectl. cgo is on: every Sluice binary links
# librdkafka's static archive (confluent-kafka-go), which needs glibc, so
# the runtime image is Debian too.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# .git stays out of the build context: pass the commit GET / reports, e.g.
# docker build --build-arg COMMIT=$(git rev-parse --short=16 HEAD) .
ARG COMMIT=unknown
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-X github.com/sluicehq/sluice/cmd/sluice/app.Commit=${COMMIT}" -o /out/sluice ./cmd/sluice \
 && CGO_ENABLED=1 go build -trimpath -o /out/sluicectl ./cmd/sluicectl

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/sluice /out/sluicectl /usr/local/bin/
EXPOSE 8083
ENTRYPOINT ["sluice"]
CMD ["distributed", "/etc/sluice/worker.properties"]
