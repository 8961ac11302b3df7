# syntax=docker/dockerfile:1
# Xunjian: one image, collector by default, agent as an alternative command.
#   docker build -t xunjian .
#   docker run -d -p 9700:9700 -v xunjian-data:/var/lib/xunjian xunjian                 # collector
#   docker run --rm -v xunjian-data:/var/lib/xunjian xunjian collector token create town-01
#   docker run -d --network host -v /etc/xunjian:/etc/xunjian:ro -v xunjian-agent:/var/lib/xunjian \
#     xunjian agent -c /etc/xunjian/agent.yaml                                           # agent

FROM node:20-bookworm-slim AS build
WORKDIR /src
# better-sqlite3 builds from source when no prebuilt binary can be fetched.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json ./
COPY bin ./bin
COPY contract ./contract
COPY lib ./lib
COPY agent ./agent
COPY collector ./collector
COPY cli ./cli
COPY test ./test
COPY bench ./bench
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
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
COPY dashboards ./dashboards
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
