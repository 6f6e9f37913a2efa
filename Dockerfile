# One image for every service; SERVICE picks which main.ts runs.
# The services run TypeScript through tsx (no separate build step), as npm start does.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/domain/package.json packages/domain/
COPY packages/platform/package.json packages/platform/
COPY packages/identity/package.json packages/identity/
COPY packages/messages/package.json packages/messages/
COPY connectors/package.json connectors/
COPY services/frontend/package.json services/frontend/
COPY services/router/package.json services/router/
COPY services/presence/package.json services/presence/
COPY services/files/package.json services/files/
RUN npm ci --no-audit --no-fund --include=dev
COPY tsconfig.json ./
COPY packages packages
COPY connectors connectors
COPY services services
USER node
ARG SERVICE=frontend
ENV SERVICE=${SERVICE}
CMD ["sh", "-c", "exec node --import tsx services/${SERVICE}/src/main.ts"]
