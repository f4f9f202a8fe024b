# syntax=docker/dockerfile:1
# Build: docker build -t cdb-hub .
# Run:   docker run -e DATABASE_URL=postgres://user:password@db:5432/cdb -p 8080:8080 cdb-hub

FROM rust:1-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin cdb-hub \
 && cp target/release/cdb-hub /usr/local/bin/cdb-hub

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /var/lib/cdb-hub --uid 10001 cdb
COPY --from=build /usr/local/bin/cdb-hub /usr/local/bin/cdb-hub
USER cdb
WORKDIR /var/lib/cdb-hub
ENV CDB_LISTEN=0.0.0.0:8080 \
    CDB_DATA_DIR=/var/lib/cdb-hub/data \
    CDB_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["cdb-hub"]
CMD ["serve"]
