# syntax=docker/dockerfile:1
# The api-keys service, and its verifier (the same image, another command: see docker-compose.yml).
# Build: docker build -t api-keys-service .  (or docker compose up --build)
# Both stages use the Node version in .node-version (scripts/node-version.spec.ts holds them equal).

FROM node:26.12.1-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm ci runs it as the project's postinstall: our fixes to installed dependencies.
COPY scripts/patch-dependencies.js ./scripts/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json nest-cli.json ./
COPY apps ./apps
COPY libs ./libs
RUN npx nest build api-keys \
 && npx nest build verifier \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:26.12.1-bookworm-slim
ENV NODE_ENV=production
ENV HOST=0.0.0.0
# The service's V8 limits, as npm start sets them (scripts/lib/prepare.js says why).
ENV NODE_OPTIONS="--max-old-space-size=192 --max-semi-space-size=4"
WORKDIR /app
# Owned by root and read-only for the service user: the running process cannot rewrite its code.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
# 3000: the service; 3100: the verifier, when the container runs it (docker-compose.yml).
EXPOSE 3000 3100
CMD ["node", "dist/apps/api-keys/src/main.js"]
