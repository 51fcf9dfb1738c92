#!/usr/bin/env node
/**
 * Builds the native addon (native/, Node-API) during `npm install` / `npm ci`, with the node-gyp
 * that npm ships. classicd runs without it (downloads then go through streams,
 * brokered admission by message; see shared/native/addon.ts), so by default a failed build is a warning, not a failed install:
 * a machine without a C compiler still gets a working classicd. CI sets
 * REQUIRE_NATIVE_ADDON=1 so that the addon it tests is really there.
 */
/* global process, console */
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const required = process.env.REQUIRE_NATIVE_ADDON === '1';

function skip(reason) {
  const message =
    `classicd: native addon not built (${reason}); downloads will use streams instead of sendfile, ` +
    'and brokered services will admit each connection by a message to the primary';
  if (required) {
    console.error(`${message}, and REQUIRE_NATIVE_ADDON=1`);
    process.exit(1);
  }
  console.warn(message);
  process.exit(0);
}

if (process.platform !== 'linux') skip(`sendfile and sync_file_range are Linux calls; this is ${process.platform}`);

// npm puts its node-gyp on PATH for lifecycle scripts and names it in npm_config_node_gyp.
const gyp = process.env.npm_config_node_gyp;
const [command, args] = gyp ? [process.execPath, [gyp, 'rebuild']] : ['node-gyp', ['rebuild']];
const result = spawnSync(command, args, { cwd: here, stdio: 'inherit' });
if (result.error) skip(result.error.message);
if (result.status !== 0) skip(`node-gyp exited with ${result.status ?? result.signal}`);
