import { createServer, type Server } from 'node:net';

/**
 * Ports for tests. Our own servers listen on port 0 and read the port back (`listenOn`, `listenDual`):
 * no window in which another worker could take it. Only an external process that must be told its
 * port beforehand gets a `freePort` (bound, read, closed: another worker may take it before the
 * process binds it), and its start is retried on EADDRINUSE (`withFreePort`).
 */

/** Listen on host:port (0: any free port) and resolve with the port; rejects on a listen error (EADDRINUSE). */
export async function listenOn(s: Server, host: string, port = 0): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    s.once('error', onError);
    s.listen(port, host, () => {
      s.off('error', onError);
      resolve();
    });
  });
  return (s.address() as { port: number }).port;
}

async function close(s: Server): Promise<void> {
  await new Promise<void>((r) => s.close(() => r()));
}

/**
 * One port on both loopbacks: `v4` on 127.0.0.1:0, then `v6` on [::1] at the same port (a name with A
 * and AAAA reaches either by family). When that port is taken on ::1, both are tried again on a new
 * port, up to `tries` times.
 */
export async function listenDual(v4: Server, v6: Server, tries = 20): Promise<number> {
  for (let i = 1; ; i++) {
    const port = await listenOn(v4, '127.0.0.1');
    try {
      await listenOn(v6, '::1', port);
      return port;
    } catch (err) {
      await close(v4);
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || i >= tries) throw err;
    }
  }
}

/**
 * A port on host that refuses connections: bound once and closed again. (Another worker could bind
 * it afterwards; the kernel hands out ephemeral ports in a spread order, so a test using it right away
 * does not meet that in practice.)
 */
export async function refusedPort(host = '::1'): Promise<number> {
  const t = createServer();
  const port = await listenOn(t, host);
  await close(t);
  return port;
}

/**
 * A port that was free a moment ago, for an external process that must be given its port before it
 * starts (prometheus, alertmanager, a collector restarted on the same URL). Prefer `withFreePort`,
 * which retries when another worker took the port in between.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const s = createServer();
  const port = await listenOn(s, host);
  await close(s);
  return port;
}

/** Whether an error (or a process's output) says the port was taken. */
export function isAddrInUse(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined;
  return e?.code === 'EADDRINUSE' || /EADDRINUSE|address already in use|bind: address/i.test(e?.message ?? String(err));
}

/**
 * Start something on a port chosen beforehand, with another port when the start fails because the port
 * was taken in between (EADDRINUSE, "address already in use" in its output): `start(port)` should throw
 * an error whose message carries the process's output.
 */
export async function withFreePort<T>(start: (port: number) => Promise<T>, tries = 5, host = '127.0.0.1'): Promise<T> {
  for (let i = 1; ; i++) {
    const port = await freePort(host);
    try {
      return await start(port);
    } catch (err) {
      if (!isAddrInUse(err) || i >= tries) throw err;
    }
  }
}
