# Sáng tạo trẻ: one self-contained binary (templates, CSS, translations and migrations are compiled in).
#   docker build -t sangtao .
#   docker run -p 8080:8080 -v sangtao-data:/data sangtao        # SQLite in /data
# or `docker compose up` for PostgreSQL and a mail catcher (docker-compose.yml).

# ---- build
FROM rust:1-bookworm AS builder
WORKDIR /src
# The whole tree less what .dockerignore leaves out (target, local data, .git): sources, templates, translations,
# migrations, and any test or bench target the manifest names.
COPY . .
# SQLite and libpq are built from source (bundled features): no -dev packages needed. The cache mounts keep the
# downloaded crates and compiled dependencies between builds (BuildKit).
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked \
    && install -m 0755 target/release/sangtao /usr/local/bin/sangtao

# ---- run
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 sangtao \
    && useradd --system --uid 10001 --gid sangtao --home-dir /data --no-create-home --shell /usr/sbin/nologin sangtao \
    && mkdir -p /data \
    && chown sangtao:sangtao /data
COPY --from=builder /usr/local/bin/sangtao /usr/local/bin/sangtao
ENV SANGTAO_BIND=0.0.0.0:8080 \
    SANGTAO_DATA_DIR=/data \
    RUST_LOG=info
VOLUME ["/data"]
WORKDIR /data
USER sangtao:sangtao
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD ["curl", "--fail", "--silent", "--show-error", "--max-time", "2", "--output", "/dev/null", "http://127.0.0.1:8080/healthz"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["sangtao"]
CMD ["serve"]
