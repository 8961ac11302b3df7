import { createServer, type Server } from 'node:net';

/** Listen on host:port (0: any free port) and resolve with the port. */
export async function listenOn(s: Pick<Server, 'listen' | 'address'>, host: string, port = 0): Promise<number> {
  await new Promise<void>((r) => s.listen(port, host, () => r()));
  return (s.address() as { port: number }).port;
}

/** A port on host that refuses connections: bound once and closed again. */
export async function refusedPort(host = '::1'): Promise<number> {
  const t = createServer();
  const port = await listenOn(t, host);
  await new Promise<void>((r) => t.close(() => r()));
  return port;
}
