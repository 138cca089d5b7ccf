# Oddzy in containers, on Debian 12. One image runs every role: the entrypoint is `oddzy`,
# the command the role and its flags (or ODDZY_* environment variables):
#   docker build -t oddzy .
#   docker run --rm -p 8080:8080 oddzy                        # `oddzy run`: everything, SQLite
#   docker run --rm oddzy racing --db postgres://... --bus nats://...
# A second target, `nginx`, is nginx with deploy/nginx/oddzy.conf and the built web pages in
# front of two API nodes named api-1 and api-2 (as in docker-compose.yml):
#   docker build --target nginx -t oddzy-nginx .
# docker-compose.yml runs the whole multi-service stack; see docs/scaling.md.

# ---- the executable ----
FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config \
      libjansson-dev libsqlite3-dev libh2o-evloop-dev libwslay-dev libcurl4-openssl-dev \
      libnats-dev libssl-dev zlib1g-dev libpq-dev libbz2-dev libyaml-dev libglib2.0-dev \
      libbrotli-dev liburing-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Makefile ./
COPY src/ src/
RUN make -j"$(nproc)" build/oddzy

# ---- the web front end (Vite needs Node.js >= 20.19: Debian 12 ships 18) ----
FROM node:22-bookworm-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY web/ ./
RUN npm run build

# ---- nginx in front of the API nodes ----
FROM debian:12-slim AS nginx
RUN apt-get update \
 && apt-get install -y --no-install-recommends nginx-light \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /srv/oddzy/var/nginx /srv/oddzy/deploy/nginx \
 && ln -sf /dev/stdout /srv/oddzy/var/nginx/access.log \
 && ln -sf /dev/stderr /srv/oddzy/var/nginx/error.log
COPY deploy/nginx/nginx.conf /srv/oddzy/deploy/nginx/nginx.conf
# the documented parameters of oddzy.conf: the API node addresses (compose service names)
COPY deploy/nginx/oddzy.conf /tmp/oddzy.conf
RUN sed -e 's#server 127.0.0.1:8081 #server api-1:8080 #' \
        -e 's#server 127.0.0.1:8082 #server api-2:8080 #' /tmp/oddzy.conf \
      >/srv/oddzy/deploy/nginx/oddzy.conf \
 && test "$(grep -c 'server api-[12]:8080 ' /srv/oddzy/deploy/nginx/oddzy.conf)" = 4
COPY --from=web /web/dist /srv/oddzy/web/dist
EXPOSE 8000
STOPSIGNAL SIGQUIT
CMD ["nginx", "-p", "/srv/oddzy", "-c", "/srv/oddzy/deploy/nginx/nginx.conf", "-e", "/dev/stderr", \
     "-g", "daemon off;"]

# ---- the runtime image (last: the default target) ----
FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tzdata curl \
      libcurl4 libh2o-evloop0.13 libjansson4 libnats3.4 libpq5 libsqlite3-0 libssl3 libwslay1 \
      zlib1g libbz2-1.0 libyaml-0-2 libglib2.0-0 libbrotli1 liburing2 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /var/lib/oddzy oddzy
COPY --from=build /src/build/oddzy /usr/local/bin/oddzy
COPY --from=web /web/dist /srv/oddzy/web
USER oddzy
WORKDIR /var/lib/oddzy
ENV ODDZY_WEB=/srv/oddzy/web \
    ODDZY_LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/oddzy"]
CMD ["run", "--host", "0.0.0.0", "--db", "/var/lib/oddzy/oddzy.db"]
