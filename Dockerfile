# saldo in a small runtime image: built in the Rust image, run as an unprivileged user with
# the SQLite database on a volume. For PostgreSQL set SALDO_DATABASE_URL (see compose.yaml).

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin saldo \
    && strip target/release/saldo

FROM debian:bookworm-slim
# ca-certificates for TLS to PostgreSQL; Debian's stable security updates, not pinned versions.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install --yes --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 saldo \
    && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /var/lib/saldo saldo
COPY --from=build /src/target/release/saldo /usr/local/bin/saldo
USER 10001:10001
WORKDIR /var/lib/saldo
VOLUME ["/var/lib/saldo"]
ENV SALDO_LISTEN=0.0.0.0:8080 \
    SALDO_DATABASE_URL=sqlite:///var/lib/saldo/saldo.db \
    SALDO_URL=http://127.0.0.1:8080
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s CMD ["saldo", "healthcheck"]
ENTRYPOINT ["saldo"]
CMD ["serve"]
