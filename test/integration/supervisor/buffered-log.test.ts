/**
 * The default log (bufferBytes 4096) holds short lines back and writes them in batches. A line must
 * still come out while the process runs on, quiet: the flush timer that a write arms is all that
 * writes it. Every other integration test logs unbuffered, so this one is the only check of it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startClassicd, testConfig, type RunningClassicd } from '../../helpers/classicd.js';
import { tcpExchange } from '../../helpers/net.js';

let server: RunningClassicd | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

describe('buffered log', () => {
  it('writes the primary’s and a worker’s lines while classicd stays up and idle', async () => {
    // startClassicd waits for the primary's `ready` line: held in a 4 KiB buffer, it appears only
    // if the flush timer fires.
    server = await startClassicd(
      testConfig({ daytime: {} }, { log: { level: 'info', format: 'json', bufferBytes: 4096 } }),
    );
    await tcpExchange(server.port('daytime'));
    const sessionEnd = await server.waitForLine((line) => line.msg === 'session end' && line.svc === 'daytime');
    expect(sessionEnd.pid).not.toBe(server.child.pid);
  });
});
