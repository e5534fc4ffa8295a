# The sluice worker and sluicectl. cgo is on: every Sluice binary links
# librdkafka's static archive (confluent-kafka-go), which needs glibc, so
# the runtime image is Debian too.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -o /out/sluice ./cmd/sluice \
 && CGO_ENABLED=1 go build -trimpath -o /out/sluicectl ./cmd/sluicectl

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/sluice /out/sluicectl /usr/local/bin/
EXPOSE 8083
ENTRYPOINT ["sluice"]
CMD ["distributed", "/etc/sluice/worker.properties"]
