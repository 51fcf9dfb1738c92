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

/** A listener on a port of the range. */
export interface PassivePort {
  readonly server: Server;
  readonly port: number;
  /**
   * Stops listening and gives the port back at once. Not on the server's 'close' event: that waits
   * for the connection it accepted, a download's socket lingering up to transfer.ts' CLOSE_LINGER_MS,
   * while the port is free to listen on again as soon as the listening socket is closed (libuv sets
   * SO_REUSEADDR). Else a client's next PASV on a small range found no port.
   */
  close(): void;
}

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

  /** A server listening on `host` at some port of the range. Throws 425 when every port is taken. */
  async listen(host: string): Promise<PassivePort> {
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
      let released = false;
      // Once only: a second release could free the port while another listener holds it.
      const release = (): void => {
        if (released) return;
        released = true;
        this.held.delete(port);
      };
      server.once('close', release); // closed some other way (an error)
      return {
        server,
        port,
        close: () => {
          server.close();
          release();
        },
      };
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
