/**
 * File transfers: RETR, STOR, STOU, APPE (RFC 959 4.1.3), REST (RFC 3659 section 5, stream mode)
 * and ABOR (RFC 959 4.1.3).
 *
 * Every check that can refuse (path, permission, file type, REST offset) runs before the 150, so
 * the client hears 550/553/554 without a data connection being opened. The transfer itself runs in
 * data/transfer.ts; where upload bytes land (hidden file and rename, or in place for resumes) is
 * data/upload-file.ts.
 */
import type { FileHandle } from 'node:fs/promises';
import { canonicalAddress } from '../../../shared/net/cidr.js';
import { asciiRestartPoint, type AsciiRestartPoint } from '../data/ascii-offsets.js';
import {
  requireDataConnection,
  startDownload,
  startUpload,
  type TransferOutcome,
  type UploadOptions,
} from '../data/transfer.js';
import {
  claimName,
  openAppending,
  openClaimed,
  openReplacing,
  openResuming,
  releaseClaim,
  type Claim,
} from '../data/upload-file.js';
import { tryLockFile } from '../../../shared/native/file-lock.js';
import { fileBusy, FtpError, syntaxError } from '../errors.js';
import { authorizeFor, mayDo } from '../fs/session-access.js';
import { regularFileSize } from '../fs/pinned.js';
import { asFtpError, type ResolvedPath } from '../fs/session-file-system.js';
import { virtualBaseName } from '../fs/virtual-path.js';
import type { FtpSession } from '../session.js';
import type { CommandSpec } from './command-spec.js';

/** RFC 959 4.2.1's 553 for an upload named `name/`: a directory's name (open(2) says EISDIR). */
const notAFileName = (): FtpError => new FtpError(553, 'File name not allowed: a name ending in / is a directory.');

/** RFC 3659 5.4: a REST marker the transfer cannot honour. */
const invalidRestart = (): FtpError => new FtpError(554, 'Requested action not taken: invalid REST parameter.');

/** The REST offset for this command; it applies to one transfer only (RFC 3659 5.3). */
function takeRestartOffset(session: FtpSession): number {
  const offset = session.restartOffset;
  session.restartOffset = 0;
  return offset;
}

function typeName(session: FtpSession): string {
  return session.transferType === 'A' ? 'ASCII' : 'BINARY';
}

/** Mode bits for a new upload: 0666 less the account's umask. */
function uploadMode(session: FtpSession): number {
  return 0o666 & ~(session.account?.umask ?? 0o022);
}

/**
 * Where in the file a transfer resumes after REST `marker` (RFC 3659 5): in TYPE I the marker is
 * a byte offset; in TYPE A it counts the stream's octets, as SIZE does, and is found by reading
 * the file (data/ascii-offsets.ts). 554 when the marker lies past the end.
 */
async function restartPoint(
  session: FtpSession,
  handle: FileHandle,
  size: number,
  marker: number,
): Promise<AsciiRestartPoint> {
  if (marker === 0 || session.transferType === 'I') return { offset: binaryRestart(size, marker), lastWasCr: false };
  // A TYPE A stream has at most two octets for each byte of the file (LF goes out as CR LF): a
  // marker past that is past the end, known without reading up to 64 MiB to find it out.
  if (marker > 2 * size) throw invalidRestart();
  const point = await asciiRestartPoint(handle, size, marker);
  if (!point) throw invalidRestart();
  return point;
}

/** TYPE I: the marker is the file offset itself; 554 past the end. */
function binaryRestart(size: number, marker: number): number {
  if (marker > size) throw invalidRestart();
  return marker;
}

/**
 * Lines a session writes to the xferlog for transfers that moved nothing (refused, or failed before
 * a byte): a client repeating `RETR <long name>` wrote thousands a second into a root-owned log.
 * Past these, such lines are left out; a transfer that moved bytes always has its line.
 */
const EMPTY_TRANSFER_LINES = 20;

/** One xferlog line per RETR/STOR/STOU/APPE (RFC-less, vsftpd's xferlog_enable). */
function xferlogRecorder(
  session: FtpSession,
  virtualPath: string,
  direction: 'o' | 'i',
): (outcome: TransferOutcome) => void {
  const account = session.account;
  const type = session.transferType === 'A' ? 'a' : 'b';
  return (outcome) => {
    if (!outcome.completed && outcome.bytes === 0 && ++session.emptyTransferLines > EMPTY_TRANSFER_LINES) return;
    session.shared.xferlog.record({
      durationMs: outcome.durationMs,
      remoteHost: canonicalAddress(session.context.remoteAddress),
      bytes: outcome.bytes,
      virtualPath,
      type,
      direction,
      anonymous: account?.anonymous ?? false,
      user: account?.name ?? '',
      completed: outcome.completed,
    });
  };
}

const RETR: CommandSpec = {
  verb: 'RETR',
  syntax: 'RETR <sp> pathname',
  help: 'Send a file over the data connection.',
  access: 'login',
  async handler(session, argument) {
    const offset = takeRestartOffset(session);
    if (!argument) throw syntaxError('RETR needs a file name.');
    requireDataConnection(session);
    const target = await session.fs.resolve(argument);
    await loggingRefusal(session, target.virtual, 'o', () => retrieve(session, target, offset));
  },
};

/** RETR once its path is known: every refusal before the 150, then the download. */
async function retrieve(session: FtpSession, target: ResolvedPath, offset: number): Promise<void> {
  authorizeFor(session, target, 'read');
  if (!target.exists) throw new FtpError(550, 'No such file or directory.');
  // Opened before the 150, so every refusal comes first; the size is the open file's (fstat),
  // so it matches what is sent even if the path is replaced meanwhile. Opened through its pinned
  // directory, never through a symlink moved in since the check, never waiting on a FIFO.
  const file = await session.fs.openFileForReading(target.real);
  try {
    // Shared with other downloads; not while an upload writes the file in place (upload-file.ts).
    if (tryLockFile(file.handle, false) === 'busy') throw fileBusy();
    const start = await restartPoint(session, file.handle, file.size, offset);
    startDownload(session, {
      description: `RETR ${target.virtual}`,
      openingText: `Opening ${typeName(session)} mode data connection for ${virtualBaseName(target.virtual)} (${file.size} bytes).`,
      type: session.transferType,
      // Closed by the transfer.
      content: { handle: file.handle, start: start.offset, end: file.size, asciiLastWasCr: start.lastWasCr },
      onFinished: xferlogRecorder(session, target.virtual, 'o'),
    });
  } catch (error) {
    // No transfer started: a REST past the end (554), or the data connection went meanwhile (425).
    await file.handle.close();
    throw error;
  }
}

/**
 * Runs a transfer command's `attempt` once its path is known; if it is refused before any transfer
 * starts, the xferlog says so with an incomplete (`i`) line of 0 bytes, as vsftpd logs a RETR it
 * could not open: what an admin reads to see a drop box or a site probed.
 */
async function loggingRefusal(
  session: FtpSession,
  virtualPath: string,
  direction: 'o' | 'i',
  attempt: () => Promise<void>,
): Promise<void> {
  try {
    await attempt();
  } catch (error) {
    if (error instanceof FtpError) {
      xferlogRecorder(session, virtualPath, direction)({ completed: false, bytes: 0, durationMs: 0 });
    }
    throw error;
  }
}

/**
 * STOR and APPE: where the bytes go. APPE writes in place after the file's end, making the file if
 * it is not there (`openAppending`); REST n + STOR keeps the first n bytes (`openResuming`); any
 * other STOR is a new file renamed into place (`openReplacing`). An account
 * that may not overwrite (the anonymous drop box) claims a new name before the 150, as STOU does, so
 * two uploads of one name cannot both be acknowledged, the second replacing the first.
 */
async function startStore(session: FtpSession, verb: 'STOR' | 'APPE', argument: string): Promise<void> {
  const restart = takeRestartOffset(session);
  if (!argument) throw syntaxError(`${verb} needs a file name.`);
  if (argument.endsWith('/')) throw notAFileName();
  requireDataConnection(session);
  const target = await session.fs.resolve(argument);
  await loggingRefusal(session, target.virtual, 'i', () => store(session, verb, target, restart));
}

/** STOR or APPE once its path is known: every refusal before the 150, then the upload. */
async function store(session: FtpSession, verb: 'STOR' | 'APPE', target: ResolvedPath, restart: number): Promise<void> {
  authorizeFor(session, target, target.exists ? 'overwrite' : 'create');
  // 550 for what is not a regular file, as RETR has it.
  const size = target.exists ? regularFileSize(await session.fs.statEntry(target.real, { symlink: 'refuse' })) : 0;
  // APPE writes after the end. REST n counts the stream's octets (TYPE A: found in the file as for
  // RETR); with STOR it resumes there. With APPE it must be the end: cutting the file at n and
  // appending there (as this did) lost the tail to a stale REST, and appending at the end anyway
  // (vsftpd) corrupts a resume meant for n; pyftpdlib refuses too.
  const offset = restart > 0 ? await resumeOffset(session, target, size, restart) : verb === 'APPE' ? size : 0;
  if (verb === 'APPE' && offset !== size) {
    throw new FtpError(554, `APPE appends at the end of the file; REST ${restart} is not its end.`);
  }
  const mode = uploadMode(session);
  const claim =
    !target.exists && !mayDo(session, target, 'overwrite') ? await claimTarget(session, target, mode) : undefined;
  if (claim === null) throw new FtpError(550, 'File exists.');
  startClaimedUpload(session, claim, {
    description: `${verb} ${target.virtual}`,
    openingText: `Ok to send data for ${virtualBaseName(target.virtual)}.`,
    type: session.transferType,
    sink: async () => {
      try {
        if (claim) return await openClaimed(claim, mode);
        const { dir, name } = await session.fs.pinParent(target.real);
        if (verb === 'APPE') {
          // After REST the file must still end at the marker; otherwise a missing file is made.
          return await openAppending(
            dir,
            name,
            restart > 0 ? { expectedEnd: offset } : { createMode: mayDo(session, target, 'create') ? mode : undefined },
          );
        }
        if (offset === 0) return await openReplacing(dir, name, { mode });
        return await openResuming(dir, name, offset);
      } catch (error) {
        throw asFtpError(error);
      }
    },
    onFinished: xferlogRecorder(session, target.virtual, 'i'),
  });
}

/** The file offset an upload after REST `marker` writes from; 554 past the end. */
async function resumeOffset(session: FtpSession, target: ResolvedPath, size: number, marker: number): Promise<number> {
  if (!target.exists) throw invalidRestart();
  if (session.transferType === 'I') return binaryRestart(size, marker);
  const file = await session.fs.openFileForReading(target.real);
  try {
    return (await restartPoint(session, file.handle, file.size, marker)).offset;
  } finally {
    await file.handle.close().catch(() => undefined);
  }
}

/** Claims `target`'s name in its pinned directory (upload-file.ts); null if the name is taken. */
async function claimTarget(session: FtpSession, target: ResolvedPath, mode: number): Promise<Claim | null> {
  const { dir, name } = await session.fs.pinParent(target.real);
  try {
    return (await claimName(dir, name, mode)) ?? null;
  } catch (error) {
    throw asFtpError(error);
  }
}

/**
 * startUpload for an upload that may have claimed its name: if the upload cannot start (its data
 * connection went while the name was being claimed: 425), the claim is given back. Once started,
 * the upload's sink owns the claim.
 */
function startClaimedUpload(session: FtpSession, claim: Claim | undefined, options: UploadOptions): void {
  try {
    startUpload(session, options);
  } catch (error) {
    if (claim) void releaseClaim(claim);
    throw error;
  }
}

const STOR: CommandSpec = {
  verb: 'STOR',
  preparesUpload: true,
  syntax: 'STOR <sp> pathname',
  help: 'Store a file from the data connection, replacing any there (after REST n: from byte n).',
  access: 'login',
  handler: (session, argument) => startStore(session, 'STOR', argument),
};

const APPE: CommandSpec = {
  verb: 'APPE',
  preparesUpload: true,
  syntax: 'APPE <sp> pathname',
  help: 'Append to a file from the data connection (creating it if needed).',
  access: 'login',
  handler: (session, argument) => startStore(session, 'APPE', argument),
};

/** STOU tries `name`, `name.1`, ... `name.999`, as vsftpd does. */
const MAX_UNIQUE_SUFFIX = 999;

const STOU: CommandSpec = {
  verb: 'STOU',
  preparesUpload: true,
  syntax: 'STOU [<sp> pathname]',
  help: 'Store a file under a name not yet used; the 150 reply gives it.',
  access: 'login',
  async handler(session, argument) {
    takeRestartOffset(session); // a unique new file has no bytes to resume after
    if (argument.trim().endsWith('/')) throw notAFileName();
    requireDataConnection(session);
    const base = argument.trim() || 'STOU';
    const first = await session.fs.resolve(base);
    await loggingRefusal(session, first.virtual, 'i', () => storeUnique(session, base, first));
  },
};

/**
 * STOU once its name is known: `base` (already resolved as `first`), or `base.1` ... `base.999`,
 * whichever is free first.
 */
async function storeUnique(session: FtpSession, base: string, first: ResolvedPath): Promise<void> {
  const mode = uploadMode(session);
  for (let n = 0; n <= MAX_UNIQUE_SUFFIX; n++) {
    const name = n === 0 ? base : `${base}.${n}`;
    const target = n === 0 ? first : await session.fs.resolve(name);
    if (target.exists) continue;
    authorizeFor(session, target, 'create');
    // Claim the name now, so no other upload can take it before this one is renamed over it.
    const claim = await claimTarget(session, target, mode);
    if (claim === null) continue;
    startClaimedUpload(session, claim, {
      description: `STOU ${target.virtual}`,
      // RFC 1123 4.1.2.9: the name is given in exactly this form.
      openingText: `FILE: ${name}`,
      type: session.transferType,
      completeText: `Transfer complete (unique file name: ${name}).`,
      sink: async () => {
        try {
          return await openClaimed(claim, mode);
        } catch (error) {
          throw asFtpError(error);
        }
      },
      onFinished: xferlogRecorder(session, target.virtual, 'i'),
    });
    return;
  }
  throw new FtpError(553, 'Could not find a unique file name.');
}

const REST: CommandSpec = {
  verb: 'REST',
  syntax: 'REST <sp> byte-offset',
  help: 'Start the next RETR, STOR or APPE at this byte offset.',
  access: 'login',
  // RFC 3659 5.2: restart markers in stream mode are byte offsets.
  feature: () => 'REST STREAM',
  async handler(session, argument) {
    const text = argument.trim();
    const offset = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(offset)) throw syntaxError('REST takes a byte offset.');
    session.restartOffset = offset;
    await session.reply(350, `Restart position accepted (${offset}).`);
  },
};

const ABOR: CommandSpec = {
  verb: 'ABOR',
  syntax: 'ABOR',
  help: 'Abort the transfer in progress.',
  access: 'login',
  duringTransfer: true,
  async handler(session) {
    // RFC 959 4.1.3: the transfer answers 426 for itself (transfer.ts), then ABOR answers 226.
    if (await session.abortTransfer()) return session.reply(226, 'ABOR successful; data connection closed.');
    // RFC 959 4.1.3: with the previous command completed, the server closes the data connection
    // if it is open and answers 226.
    if (session.data.ready) {
      session.data.close();
      return session.reply(226, 'No transfer to abort; data connection closed.');
    }
    await session.reply(226, 'No transfer to abort.');
  },
};

export const transferCommands: readonly CommandSpec[] = [RETR, STOR, STOU, APPE, REST, ABOR];
