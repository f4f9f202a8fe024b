# syntax=docker/dockerfile:1
# The hub's image: `docker compose up` (compose.yaml) runs it with PostgreSQL 15, one `serve`
# and one `worker`. Alone:
#   docker build -t cdb-hub .
#   docker run -e DATABASE_URL=postgres://user:password@db:5432/cdb \
#     -e CDB_SECRETS_KEY="$(openssl rand -base64 32)" -p 8080:8080 cdb-hub
# With DATABASE_URL the hub refuses to start without CDB_SECRETS_KEY or CDB_SECRETS_KEY_FILE
# (a mounted file, e.g. a compose or Kubernetes secret): every process must open the secrets
# the others sealed, and a key made inside a container would die with it.

# Base images pinned to their version (bump them deliberately, with the toolchain in CI).
ARG RUST_IMAGE=rust:1.95.0-slim-bookworm
ARG RUNTIME_IMAGE=debian:12.11-slim

# cargo-chef: the dependencies are built in a layer of their own, rebuilt only when
# Cargo.toml or Cargo.lock change, not at every change of the sources.
FROM ${RUST_IMAGE} AS chef
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq-dev pkg-config \
 && rm -rf /var/lib/apt/lists/* \
 && cargo install cargo-chef --locked --version 0.1.73
WORKDIR /src

FROM chef AS plan
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=plan /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json --bin cdb-hub
COPY . .
RUN cargo build --release --locked --bin cdb-hub \
 && cp target/release/cdb-hub /usr/local/bin/cdb-hub

FROM ${RUNTIME_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /var/lib/cdb-hub --uid 10001 cdb \
 && mkdir -p /var/lib/cdb-hub/data \
 && chown cdb /var/lib/cdb-hub/data
COPY --from=build /usr/local/bin/cdb-hub /usr/local/bin/cdb-hub
USER cdb
WORKDIR /var/lib/cdb-hub
ENV CDB_LISTEN=0.0.0.0:8080 \
    CDB_DATA_DIR=/var/lib/cdb-hub/data \
    CDB_LOG_FORMAT=json
# Inboxes, received files being read, and the embedded cluster when no DATABASE_URL is set.
VOLUME ["/var/lib/cdb-hub/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["cdb-hub"]
CMD ["serve"]
