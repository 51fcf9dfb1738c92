/**
 * The TCP chargen sender: writes one precomputed block over and over until the client goes away,
 * holding at most one socket buffer's worth of data in memory however slowly the client reads.
 */
import type { Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';

export async function writeUntilClosed(socket: Socket, block: Buffer): Promise<void> {
  // RFC 864: the stream "continues until the calling user terminates the connection", and users
  // "will abruptly decide that they have had enough and abort": a FIN or a reset both end it.
  let open = true;
  const stop = (): void => {
    open = false;
  };
  socket.once('end', stop);
  socket.once('close', stop);
  // "any data received is thrown away": resume() with no 'data' listener drops it unread.
  socket.resume();
  while (open && socket.writable) {
    if (socket.write(block)) {
      // The kernel took the block at once. Yield before the next so a fast reader cannot keep this
      // loop spinning while the worker's other sessions, and this socket's own FIN, wait.
      await nextTurn();
    } else {
      // RFC 864 leaves flow control to TCP ("no concern about the service sending data faster than
      // the user can process it"); that only holds if we stop when write() says the buffer is full.
      await drainedOrClosed(socket);
    }
  }
}

function drainedOrClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
  });
}
