# ticket-processor as a container: Node 20, git and bubblewrap, running as the unprivileged
# `node` user. The project (config.json, backlog/, .env) is a volume at /project.
# Build: docker build -t ticket-processor .   Compose file: deploy/compose.yaml.

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Only the compiler is needed here: no install scripts (native modules are built in the runtime stage).
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npx tsc -p tsconfig.build.json

FROM node:20-slim
RUN apt-get update \
  && apt-get install -y --no-install-recommends git bubblewrap ca-certificates tini \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# `prepare` compiles TypeScript, which --omit=dev does not install: dist/ comes from the build stage.
RUN npm pkg delete scripts.prepare \
  && npm ci --omit=dev \
  && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY docs ./docs
# Named volumes mounted below /project take the owner of the image folder: create them as node.
RUN mkdir -p /project/repos /project/.ticket-processor && chown -R node:node /project
USER node
WORKDIR /project
VOLUME ["/project"]
EXPOSE 3001
# node:20-slim has no curl; Node's fetch asks the same /health the service serves (503 = unhealthy).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.TP_HEALTH_PORT || 3001) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["tini", "--", "node", "/app/bin/ticket-processor.js"]
CMD ["start"]
