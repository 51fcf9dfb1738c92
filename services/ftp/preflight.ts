/**
 * What `classicd check-config` checks for FTP beyond the schema: the files start() must read or
 * write. Each problem here would otherwise pass check-config and then stop the start.
 */
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { ConfigProblem } from '../../shared/config/load.js';
import type { FtpConfig } from './config.js';
import { nearestExisting } from '../../shared/fs/nearest-existing.js';

export async function ftpPreflight(config: FtpConfig): Promise<readonly ConfigProblem[]> {
  if (!config.enabled) return [];
  const problems: ConfigProblem[] = [];
  const check = async (path: string, problem: Promise<string | undefined>): Promise<void> => {
    const message = await problem;
    if (message) problems.push({ path, message });
  };
  if (config.tls.enabled && config.tls.cert) await check('tls.cert', readable(config.tls.cert));
  if (config.tls.enabled && config.tls.key) await check('tls.key', readable(config.tls.key));
  if (config.tls.enabled && config.tls.cert && config.tls.key && problems.length === 0) {
    await check('tls.key', pairProblem(config.tls.cert, config.tls.key));
  }
  if (config.xferlog) await check('xferlog', appendable(config.xferlog));
  return problems;
}

/** Whether the key and certificate make a pair OpenSSL takes (start() would stop otherwise). */
async function pairProblem(certPath: string, keyPath: string): Promise<string | undefined> {
  const [cert, key] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
  try {
    createSecureContext({ cert, key });
    return undefined;
  } catch (error) {
    return `tls.key and tls.cert do not make a usable pair: ${(error as Error).message}`;
  }
}

async function readable(path: string): Promise<string | undefined> {
  try {
    await access(path, constants.R_OK);
    return undefined;
  } catch (error) {
    return `cannot read ${resolve(path)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`;
  }
}

/** The file can be opened for appending, or made (with the directories above it). */
async function appendable(path: string): Promise<string | undefined> {
  const full = resolve(path);
  if ((await stat(full).catch(() => undefined))?.isDirectory()) return `${full} is a directory`;
  // The file, or else the nearest directory above it that exists, must be writable.
  const target = await nearestExisting(full);
  try {
    await access(target, constants.W_OK);
    return undefined;
  } catch (error) {
    return `cannot write ${target}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`;
  }
}
