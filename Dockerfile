# syntax=docker/dockerfile:1
# Tripline gateway image: `docker build -t tripline .`
# scripts/check-dockerfile.mjs replays these steps outside Docker in CI; keep RUN steps to
# relative paths inside WORKDIR so it can.
ARG NODE_IMAGE=node:20-bookworm-slim

# Build stage: every dependency and the TypeScript compiler.
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# `npm install` from the lock, not `npm ci`: the lock leaves out other platforms' optional
# packages (Biome's binaries) and `npm ci` refuses it for that (see .ci/run).
RUN npm install --no-audit --no-fund --no-save
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# Production dependencies only, in their own stage so a source change does not reinstall them.
# Package scripts are not run: no production dependency needs one.
FROM ${NODE_IMAGE} AS deps
WORKDIR /deps
COPY package.json package-lock.json ./
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund --no-save && mkdir -p state

# Run stage: compiled code and production dependencies, owned by root and read-only for the
# runtime user; only the state volume is writable.
FROM ${NODE_IMAGE}
ENV NODE_ENV=production TRIPLINE_CONFIG=/etc/tripline/config.yaml
WORKDIR /app
COPY --from=deps /deps/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY package.json ./
COPY deploy/docker/config.yaml /etc/tripline/config.yaml
COPY --from=deps --chown=1000:1000 /deps/state /var/lib/tripline
# Numeric, so Kubernetes can enforce runAsNonRoot (uid 1000 is the base image's `node` user).
USER 1000:1000
# Persistent sending queues and dead-letter files (sending_queue.storage, dead_letter.path).
VOLUME ["/var/lib/tripline"]
# detections webhook, OTLP gRPC, OTLP HTTP, self-telemetry (/metrics /healthz /readyz),
# prometheus exporter
EXPOSE 8088 4317 4318 9464 8889
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:9464/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["run"]
