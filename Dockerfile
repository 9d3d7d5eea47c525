FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/build ./build
COPY --from=build /app/public ./public
COPY --from=build /app/scripts/serve.mjs ./scripts/serve.mjs
COPY --from=build /app/scripts/http ./scripts/http
# The column store's own process runs this script beside the server build.
COPY --from=build /app/server/stats/columnar/duckdb-process.mjs ./server/stats/columnar/duckdb-process.mjs
# The columnar stats copy (a cache the server rebuilds from PostgreSQL) lives under .data.
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
CMD ["node", "--max-old-space-size=128", "scripts/serve.mjs"]
