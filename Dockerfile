# classicd in a container: the same steps as the README (npm ci, npm run build, npm start).
#
#   docker build -t classicd .
#   docker run --rm --init -p 10013:10013/tcp -p 10013:10013/udp -p 8025:8025 classicd
#
# Configure it as anywhere else: CLASSICD_* variables (docker run -e), or a YAML file mounted into
# the container and named by CLASSICD_CONFIG (see docs/configuration.md).

ARG NODE_IMAGE=node:22-bookworm-slim

# ---- build: all dependencies, TypeScript compiled to dist/ ----
FROM ${NODE_IMAGE} AS build
# A C compiler for the native addon (native/: sendfile for downloads); node-gyp builds it against
# the image's own Node headers.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `install` and `prepare` would build before the sources are copied; both run below.
RUN npm ci --ignore-scripts --no-audit --no-fund
# The sources (.dockerignore leaves out tests, docs and anything local).
COPY . .
RUN REQUIRE_NATIVE_ADDON=1 npm_config_nodedir=/usr/local npm run install && npm run build

# ---- runtime: production dependencies, the compiled code and the embedded default config ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` runs the build, which needs the dev dependencies left out here.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/native/build/Release/classicd_native.node ./native/build/Release/
COPY config ./config
# The anonymous FTP root of the default config (./srv/ftp); mount your own over it. var/ holds the
# self-signed FTPS certificate and logs, so the unprivileged user must own it.
COPY srv ./srv
RUN mkdir -p var && chown node:node var

# Inside a container 127.0.0.1 is the container's own loopback, which published ports never reach,
# so every listener binds all interfaces instead. These are ordinary CLASSICD_* overrides
# (shared/config/env-overrides.ts): `docker run -e` or a mounted config file can change them.
ENV CLASSICD_HTTP__HOST=0.0.0.0 \
    CLASSICD_SERVICES__ECHO__HOST=0.0.0.0 \
    CLASSICD_SERVICES__DISCARD__HOST=0.0.0.0 \
    CLASSICD_SERVICES__DAYTIME__HOST=0.0.0.0 \
    CLASSICD_SERVICES__QOTD__HOST=0.0.0.0 \
    CLASSICD_SERVICES__CHARGEN__HOST=0.0.0.0 \
    CLASSICD_SERVICES__TIME__HOST=0.0.0.0 \
    CLASSICD_SERVICES__FTP__HOST=0.0.0.0
# FTP's passive mode tells clients an address to connect back to. `auto` would say the container's
# own address, which clients outside cannot reach: set the host's public address, e.g.
#   docker run -e CLASSICD_SERVICES__FTP__PASSIVE__ADDRESS=203.0.113.10 -p 10021:10021 -p 30000-30099:30000-30099 ...

# The default ports: standard port + 10000. The small services answer on TCP and UDP; 8025 is
# HTTP (/healthz, /readyz, /metrics).
EXPOSE 10007/tcp 10007/udp \
       10009/tcp 10009/udp \
       10013/tcp 10013/udp \
       10017/tcp 10017/udp \
       10019/tcp 10019/udp \
       10037/tcp 10037/udp \
       10021/tcp 30000-30099/tcp \
       8025/tcp

# Slim images have no curl; Node 22 has fetch. It follows CLASSICD_HTTP__PORT if you set one (a port
# changed in a mounted config file needs that variable too, or its own --health-cmd).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.CLASSICD_HTTP__PORT || 8025}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

USER node
# What `npm start` runs, without npm in between, so classicd itself receives docker stop's SIGTERM
# and shuts down gracefully: sessions get supervisor.shutdownGraceMs (10 s), so give `docker stop`
# a longer --time than that. `docker run --init` puts a process reaper in front as PID 1. The flag
# gives the primary a small young generation (bin/classicd.ts says why).
CMD ["node", "--max-semi-space-size=1", "dist/bin/classicd.js", "start"]
