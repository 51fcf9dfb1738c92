/**
 * The passive port range, shared by the sessions of one worker.
 *
 * Every worker of the supervisor draws from the same configured range, and other programs may hold
 * ports in it too, so a port is simply tried: on EADDRINUSE the next one is. Each worker starts at
 * a random place in the range so that workers do not all contend for its first ports.
 *
 * Listeners are made with `exclusive: true`. Workers are cluster workers, and without it Node's
 * cluster module would have the primary create (and share) the listening handle, so the port
 * would be held by the primary and connections could be handed to another worker.
 */
import { createServer, type Server } from 'node:net';
import { FtpError } from '../errors.js';

/** A passive listener is for one connection; a short queue is all it needs. */
const BACKLOG = 8;

export class PassivePortPool {
  readonly low: number;
  readonly high: number;
  private cursor: number;
  /** Ports this worker's listeners hold now, skipped without a system call. */
  private readonly held = new Set<number>();

  constructor(readonly range: string) {
    const [low, high] = range.split('-').map(Number) as [number, number];
    this.low = low;
    this.high = high;
    this.cursor = Math.floor(Math.random() * this.size);
  }

  get size(): number {
    return this.high - this.low + 1;
  }

  /**
   * A server listening on `host` at some port of the range. Its port returns to the pool when it
   * closes. Throws 425 when every port is taken.
   */
  async listen(host: string): Promise<{ readonly server: Server; readonly port: number }> {
    for (let tried = 0; tried < this.size; tried++) {
      const port = this.low + (this.cursor++ % this.size);
      if (this.held.has(port)) continue;
      // Paused: nothing reads a data connection until its transfer decides how (an upload may hand
      // the descriptor to native code, which must see every byte).
      const server = createServer({ pauseOnConnect: true });
      try {
        await listenOn(server, host, port);
      } catch (error) {
        server.close();
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
        throw error;
      }
      this.held.add(port);
      server.once('close', () => this.held.delete(port));
      return { server, port };
    }
    throw new FtpError(425, 'No passive port available; try again later.');
  }
}

function listenOn(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port, exclusive: true, backlog: BACKLOG }, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
