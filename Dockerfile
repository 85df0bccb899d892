# Mailroom appliance image.
#
#   build    node:24-bookworm       compiler toolchain, all dependencies, tsc
#   runtime  node:24-bookworm-slim  production dependencies + dist/ + config/
#
# Node 24 is the current LTS; Node 20 reached end of life in April 2026.
# Build:  docker build -t mailroom .        Run: see compose.yaml and docs/deploy.md

# ---------------------------------------------------------------------------
FROM node:24-bookworm AS build

# better-sqlite3 is a native addon. prebuild-install downloads a prebuilt
# binary when it can reach GitHub; when it cannot (offline builds, a Node ABI
# without prebuilds) it falls back to node-gyp, which needs python3, make and
# g++. The full bookworm image happens to ship them, but say so explicitly so
# the build does not depend on that.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
ENV npm_config_update_notifier=false

# Dependencies first, so a source change does not reinstall them.
# --foreground-scripts shows the native build in the log; the install scripts
# of better-sqlite3 and esbuild are the ones package.json's allowScripts names.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --foreground-scripts

# Fail here, not at run time, if the native addon did not build or load.
RUN node -e "const db = require('better-sqlite3')(':memory:'); console.log('better-sqlite3 ok, sqlite', db.prepare('select sqlite_version() v').get().v)"

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# npm run build also copies the .sql migrations next to the compiled store module.
RUN npm run build \
 && test -f dist/main.js \
 && test -f dist/store/migrations/001_initial.sql

# Drop devDependencies (typescript, test tools, type packages), then the
# native build's leftovers: sqlite sources, object files, the static library
# and the test extension (only build/Release/better_sqlite3.node is loaded),
# then what packages ship but never load: their own tests, TypeScript sources
# and declarations, source maps and docs (about 20 MB); licence files stay.
RUN npm prune --omit=dev --no-audit --no-fund \
 && rm -rf node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
 && find node_modules/better-sqlite3/build -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} + \
 && find node_modules/better-sqlite3/build/Release -mindepth 1 ! -name better_sqlite3.node -exec rm -rf {} + \
 && find node_modules -type d \( -name test -o -name tests -o -name __tests__ \) -prune -exec rm -rf {} + \
 && find node_modules -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' \
                                 -o -iname '*.md' -o -iname '*.markdown' \) ! -iname 'licen[cs]e*' -delete \
 && node -e "require('better-sqlite3')(':memory:').close()"

# ---------------------------------------------------------------------------
FROM node:24-bookworm-slim AS runtime

ENV NODE_ENV=production \
    MAILROOM_CONFIG=/app/config/mailroom.yaml \
    MAILROOM_DATA_DIR=/data \
    MAILROOM_SMTP_PORT=2525 \
    MAILROOM_HTTP_PORT=8080

WORKDIR /app

# Code and config belong to root and are read-only to the `node` user that runs
# the app: a compromised process cannot rewrite the program it runs.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config ./config

# The only writable place. A named volume mounted here starts as a copy of
# this directory, so it is owned by node (uid 1000) on first use.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]

USER node

# Unprivileged ports inside; compose publishes 2525 as host port 25.
EXPOSE 2525 8080

# No curl in the slim image: Node's own fetch. Docker honours this; podman only
# with --format docker, so compose.yaml repeats it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.MAILROOM_HTTP_PORT||8080)+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Exec form: node is PID 1 itself, with no shell or npm in between to swallow
# signals. The kernel gives PID 1 no default SIGTERM action, so this relies on
# main.ts handling SIGTERM/SIGINT (it does: graceful shutdown). Mailroom spawns
# no child processes, so there are no zombies to reap and no init is needed.
STOPSIGNAL SIGTERM
CMD ["node", "dist/main.js"]
