# One image for every process of the stack; docker-compose.yml picks the entry with `command`
# (node dist/<entry>.js). Compiled JavaScript only: TypeScript is built in the first stage and
# neither it nor tsx nor any other development dependency is in the image.

# npm 11.19 writes and reads package-lock.json as committed (package.json devEngines); Node 20's
# bundled npm 10 would not accept it for `npm ci`.
FROM node:20-bookworm-slim AS npm
RUN npm install -g npm@11.19.1 --no-audit --no-fund && npm cache clean --force

FROM npm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY subgraphs ./subgraphs
COPY gateway ./gateway
COPY schema ./schema
COPY scripts ./scripts
RUN npm run build

FROM npm AS runtime-deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --no-audit --no-fund && npm cache clean --force

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0
COPY --from=runtime-deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /app/dist ./dist
USER node
CMD ["node", "dist/gateway/src/main.js"]
