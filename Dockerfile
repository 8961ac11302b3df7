# syntax=docker/dockerfile:1
# Xunjian: one image, collector by default, agent as an alternative command.
# Without a registry: scripts/build-image.sh makes the base (debootstrap + Node 20) and builds this
# with buildah (--pull=false), then runs it.
#   docker build -t xunjian .
#   docker run -d -p 9700:9700 -v xunjian-data:/var/lib/xunjian xunjian                 # collector
#   docker run --rm -v xunjian-data:/var/lib/xunjian xunjian collector token create town-01
#   docker run -d --network host -v /etc/xunjian:/etc/xunjian:ro -v xunjian-agent:/var/lib/xunjian \
#     xunjian agent -c /etc/xunjian/agent.yaml                                           # agent

FROM node:20-bookworm-slim AS build
# Extra CA bundle for npm behind a TLS-inspecting proxy (scripts/build-image.sh mounts the host's for
# the build only); empty: Node's own CAs. Nothing of it reaches the final image.
ARG NODE_EXTRA_CA_CERTS=
WORKDIR /src
# better-sqlite3 builds from source when no prebuilt binary can be fetched.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY contract ./contract
COPY lib ./lib
COPY agent ./agent
COPY collector ./collector
COPY cli ./cli
COPY tui ./tui
COPY dashboards/src ./dashboards/src
# the shipped code only: no tests, no benchmarks (tsconfig.build.json)
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM node:20-bookworm-slim
# All interfaces: the collector refuses every read endpoint but /healthz without an API token
# (role-based tokens), and ingest needs a node token; nothing is served unauthenticated but /healthz.
ENV NODE_ENV=production \
    XUNJIAN_COLLECTOR__LISTEN=0.0.0.0:9700 \
    XUNJIAN_COLLECTOR__DATADIR=/var/lib/xunjian/data \
    XUNJIAN_AGENT__DATADIR=/var/lib/xunjian/agent
WORKDIR /app
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/bin ./bin
COPY rules ./rules
COPY dashboards/generated ./dashboards/generated
COPY dashboards/provisioning ./dashboards/provisioning
RUN groupadd --system --gid 10001 xunjian \
 && useradd --system --uid 10001 --gid xunjian --home-dir /var/lib/xunjian --shell /usr/sbin/nologin xunjian \
 && mkdir -p /var/lib/xunjian \
 && chown xunjian:xunjian /var/lib/xunjian
USER 10001:10001
WORKDIR /var/lib/xunjian
VOLUME ["/var/lib/xunjian"]
EXPOSE 9700
HEALTHCHECK --interval=30s --timeout=5s CMD ["node", "-e", "fetch('http://127.0.0.1:9700/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/bin/xunjian.js"]
CMD ["collector"]
