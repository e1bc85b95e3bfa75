# Berth's api and worker share one image; docker-compose.yml picks the process with `command`.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# package.json's allowScripts denies every install script: nothing here needs one.
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY apps apps
COPY libs libs
COPY workflows workflows
COPY activities activities
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# The example directory (DIRECTORY=file without BERTH_DIRECTORY_FILE) is data, not code.
COPY --from=build /app/activities/directory/file/example-directory.yml dist/activities/directory/file/
# The api and the worker write nothing to disk: state lives in PostgreSQL and Temporal.
USER node
EXPOSE 4000
CMD ["node", "dist/apps/api/main.js"]
