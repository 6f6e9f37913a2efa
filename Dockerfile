# syntax=docker/dockerfile:1
# One image for every hub service; the service is chosen by the command
# (`docker run IMAGE router`) or by SERVICE. Stages:
#   deps    production dependencies only (npm ci --omit=dev)
#   build   every dependency, then each service bundled to one JavaScript
#           file (scripts/bundle-services.ts), so no TypeScript tooling ships
#   gateway the nginx gateway image (a separate target)
#   runtime node, the production node_modules and the bundles; runs as the
#           unprivileged `node` user, read-only root filesystem friendly
#           (the default target: the last stage)
# The COPY list of workspace package.json files must name every workspace in
# package.json; test/deploy/dockerfile.test.ts fails when one is missing.
ARG NODE_IMAGE=node:20.19-bookworm-slim
ARG GATEWAY_IMAGE=nginx:1.27-bookworm

FROM ${NODE_IMAGE} AS manifests
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/domain/package.json packages/domain/
COPY packages/platform/package.json packages/platform/
COPY packages/identity/package.json packages/identity/
COPY packages/messages/package.json packages/messages/
COPY packages/webhooks/package.json packages/webhooks/
COPY packages/outbound/package.json packages/outbound/
COPY packages/sdk/package.json packages/sdk/
COPY packages/push/package.json packages/push/
COPY packages/cli/package.json packages/cli/
COPY connectors/package.json connectors/
COPY services/frontend/package.json services/frontend/
COPY services/router/package.json services/router/
COPY services/presence/package.json services/presence/
COPY services/files/package.json services/files/
COPY web/package.json web/

FROM manifests AS deps
RUN npm ci --omit=dev --no-audit --no-fund --loglevel=error \
 # The workspaces are compiled into the bundles; their links would dangle.
 && rm -rf node_modules/@hub \
 && npm cache clean --force

FROM manifests AS build
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json ./
COPY packages packages
COPY connectors connectors
COPY services services
COPY scripts scripts
COPY web web
RUN node --import tsx scripts/bundle-services.ts /app/dist \
 && npm run build -w @hub/web

# The gateway (deploy/gateway, docs/gateway.md): nginx with the hub's
# templates, rendered from GATEWAY_* at start into /tmp (the root filesystem
# may be read-only). Listens on unprivileged ports (GATEWAY_HTTP_LISTEN,
# GATEWAY_HTTPS_LISTEN) as user nginx. `docker build --target gateway .`
FROM ${GATEWAY_IMAGE} AS gateway
COPY --chown=root:root deploy/gateway /opt/gateway
# The web client's build replaces the placeholder page the gateway serves at /.
COPY --from=build --chown=root:root /app/web/dist /opt/gateway/web
USER nginx
ENV GATEWAY_HTTP_LISTEN=8080 GATEWAY_HTTPS_LISTEN=8443
EXPOSE 8080 8443
STOPSIGNAL SIGQUIT
ENTRYPOINT ["/bin/bash", "-c", "/opt/gateway/render.sh /tmp/gateway && exec nginx -e stderr -p /tmp/gateway -c /tmp/gateway/nginx.conf -g 'daemon off;'"]

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps --chown=root:root /app/node_modules node_modules
COPY --from=build --chown=root:root /app/dist dist
COPY --chown=root:root package.json ./
# Files owned by root and not writable by `node`: the process cannot change
# its own code. Nothing is written to disk at run time (logs go to stdout).
USER node
EXPOSE 8081 8082 8083 8084
# Asks the service's own /health/ready on loopback (its *_PORT or default).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 CMD ["node", "/app/dist/healthcheck.mjs"]
# Exec form: node is PID 1 and gets SIGTERM itself; every service drains on
# it within SHUTDOWN_TIMEOUT_MS (stop grace periods are set longer).
ENTRYPOINT ["node", "--enable-source-maps", "/app/dist/hub.mjs"]
CMD []
