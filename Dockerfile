# syntax=docker/dockerfile:1
# One image, two entry points: the API (default, `node dist/api.mjs`) and the worker (`node dist/worker.mjs`).
# The build stage compiles both to JavaScript and builds the workflow bundle ahead of time (`npm run build`):
# a worker then starts without a TypeScript loader or an in-process webpack run (less memory, faster).

ARG NODE_IMAGE=node:24-slim

# --- dependencies: production only, installed from the lock file ---------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# package.json's allowScripts approves the install scripts Ferry needs (npm 11 blocks the rest).
# `npm ci` refuses a lock file when the registry lacks an optional platform package (e.g. @swc/core's
# darwin builds on a partial mirror); `npm install --no-save` from the same lock is the fallback,
# exactly as scripts/ferry.sh does.
RUN (npm ci --omit=dev --no-audit --no-fund \
     || npm install --omit=dev --no-save --no-audit --no-fund) \
 && npm cache clean --force

# --- build: dist/worker.mjs, dist/api.mjs, dist/workflow-bundle.js ----------------------------------
FROM deps AS build
COPY . .
RUN node --import tsx scripts/build.ts

# --- runtime --------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
# NODE_OPTIONS: semi-spaces of 8 MB instead of V8's 16: a smaller idle heap at no cost in throughput;
# --expose-gc lets copies free socket buffers as they stream (activities/copy/buffer-release.ts).
# --max-old-space-size=256 and MALLOC_ARENA_MAX=2 keep a long transfer's worker flat (docs/deploy.md#worker-memory).
# Measured by bench:large, bench:many, bench:gallery and bench:etl, which run the worker with the same flags.
ENV NODE_ENV=production \
    NODE_OPTIONS="--max-semi-space-size=8 --expose-gc --max-old-space-size=256" \
    MALLOC_ARENA_MAX=2 \
    PORT=3000 \
    WORKER_HEALTH_PORT=9464 \
    FERRY_DATA_DIR=/var/lib/ferry \
    LOG_DIR=/var/log/ferry
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# The source is owned by root and read-only to the process; .dockerignore keeps tests, secrets,
# local state and tooling out of the build context.
COPY . .
COPY --from=build /app/dist ./dist
# The only writable places (Kubernetes mounts emptyDirs here, compose mounts volumes): the data dir,
# the ETL's rotated logs and /tmp (tsx's compile cache, for the CLI).
RUN mkdir -p /var/lib/ferry /var/log/ferry \
 && chown node:node /var/lib/ferry /var/log/ferry
# The `node` user (uid 1000) of the official image: no root at run time.
USER node
# The API (PORT), the worker's health and metrics (WORKER_HEALTH_PORT), the API's metrics (API_METRICS_PORT).
EXPOSE 3000 9464 9466
CMD ["node", "dist/api.mjs"]
