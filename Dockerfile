# One image for every process of the stack; docker-compose.yml picks the entry with `command`.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0
COPY package.json package-lock.json ./
# tsx runs the TypeScript sources directly (no build step); dev and optional deps are not needed.
# `npm install` with the lock rather than `npm ci`: see .ci/run for why the lock lacks other
# platforms' optional binaries.
RUN npm install --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force
COPY tsconfig.json ./
COPY subgraphs ./subgraphs
COPY gateway ./gateway
COPY schema ./schema
COPY scripts ./scripts
USER node
CMD ["node", "--import", "tsx", "gateway/src/main.ts"]
