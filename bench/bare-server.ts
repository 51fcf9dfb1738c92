/**
 * The ceiling: the least a one-process Node server can do for daytime (RFC 867) and echo (RFC 862),
 * with no supervisor, admission, logging or session bookkeeping. Listens on 127.0.0.1 port 0 and
 * prints its ports as one JSON line; exits on SIGTERM or when its standard input closes.
 */
import { createServer, type Server } from 'node:net';

const HOST = '127.0.0.1';

const daytime = createServer((socket) => {
  socket.on('error', () => socket.destroy());
  socket.end(`${new Date().toUTCString()}\r\n`);
});

const echo = createServer((socket) => {
  socket.on('error', () => socket.destroy());
  socket.pipe(socket); // pipe() honours backpressure in both directions
});

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: HOST, port: 0, backlog: 511 }, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

const ports = { daytime: await listen(daytime), echo: await listen(echo) };
process.stdout.write(`${JSON.stringify(ports)}\n`);
process.on('SIGTERM', () => process.exit(0));
process.stdin.on('end', () => process.exit(0)).resume();
