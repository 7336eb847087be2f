# Roster in a container: built from this repository, run as a non-root user, data in a
# volume. Untested here: the development machine has a docker client but no daemon, so
# this file has never been built by the project's CI (see docs/operators.md).
#
#   docker build -t roster .
#   docker run -p 8080:8080 -v roster-data:/data roster
#
# The first start on an empty volume prints a project ID and a management key once
# (`docker logs`). Set ROSTER_PROJECT_ID and ROSTER_MANAGEMENT_KEY (32 characters or
# more: the server listens beyond loopback) to choose them instead.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p roster-server --bin roster \
    && install -D target/release/roster /out/roster \
    && mkdir -p /out/data

# Distroless: glibc and CA certificates, no shell, no package manager; `nonroot` is
# uid 65532.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/roster /usr/local/bin/roster
# The volume's mount point, owned by the user Roster runs as, so that a new named
# volume starts writable (SQLite creates roster.db in it, mode 0600).
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV ROSTER_LISTEN=0.0.0.0:8080 \
    ROSTER_DATABASE_URL=sqlite:///data/roster.db
VOLUME ["/data"]
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/roster"]
CMD ["serve"]
