# syntax=docker/dockerfile:1
# Build stage: install everything, compile TypeScript.
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
COPY libs ./libs
COPY migrations ./migrations
RUN npm run build && npm prune --omit=dev

# Runtime stage: production dependencies and compiled code only, as a non-root user.
FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=8000 HOST=0.0.0.0 ADMIN_JS_TMP_DIR=/tmp/adminjs
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
USER node
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/health/liveness/').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# `docker run IMAGE node dist/src/cli.js migrate` runs migrations alone; see README.
CMD ["node", "dist/src/main.js"]
