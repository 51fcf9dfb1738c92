/** Small socket clients for tests: each resolves on an event, never on a sleep. */
import { createSocket } from 'node:dgram';
import { connect, createServer, type Socket } from 'node:net';

/**
 * Connects, optionally writes, and collects everything until the server closes. A reset counts as
 * a close (a refused connection with unread input is reset); a failure to connect rejects.
 */
export function tcpExchange(port: number, send?: Buffer | string, host = '127.0.0.1'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let connected = false;
    const socket = connect({ host, port }, () => {
      connected = true;
      if (send !== undefined) socket.end(send);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (!connected || error.code !== 'ECONNRESET') reject(error);
    });
    socket.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

export function tcpConnect(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Sends one datagram and resolves with the first reply, or undefined after `timeoutMs`. */
export function udpExchange(
  port: number,
  payload: Buffer | string,
  timeoutMs = 2000,
  host = '127.0.0.1',
): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => {
      socket.close();
      resolve(undefined);
    }, timeoutMs);
    socket.once('message', (message) => {
      clearTimeout(timer);
      socket.close();
      resolve(message);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      socket.close();
      reject(error);
    });
    socket.send(payload, port, host);
  });
}

/** Fetches a URL path from classicd's HTTP port. */
export async function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}

/**
 * Waits until a /metrics sample reaches `value`. Workers report some counts asynchronously (session
 * ends over IPC, datagram counts once a second), so a test waits for the count, bounded, rather than
 * for the log line that precedes it.
 */
export async function metricReaches(
  httpPort: number,
  name: string,
  labels: Record<string, string>,
  value: number,
  attempts = 100,
): Promise<number> {
  let seen = 0;
  for (let attempt = 0; attempt < attempts; attempt++) {
    seen = metricValue((await httpGet(httpPort, '/metrics')).body, name, labels);
    if (seen >= value) return seen;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} ${JSON.stringify(labels)} stayed at ${seen}, below ${value}`);
}

/** Reads one Prometheus sample's value from /metrics text; 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  const labelText = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    const braces = /^\{([^}]*)\}/.exec(rest);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const present = braces?.[1]?.split(',') ?? [];
    if (labelText.every((label) => present.includes(label))) return Number(line.split(' ').pop());
  }
  return 0;
}

/**
 * A port the system just gave out and that is free again, for listeners whose config cannot say
 * "any port" (an implicit-FTPS port, a one-port passive range).
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port: 0 }, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
