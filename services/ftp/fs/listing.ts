/**
 * What LIST, NLST and STAT <path> list, and the lines they send. Everything that can fail with a
 * reply (no such path, permission denied) fails in `planListing`, before the 150 of a data
 * transfer; the lines themselves are produced later, a batch at a time, as the consumer reads.
 *
 * - A directory lists its entries (unsorted: sorting would mean reading it all first).
 * - A file lists itself: LIST shows its base name, NLST the path as the client gave it (so `mget`
 *   can RETR each name NLST returns).
 * - A last component with glob characters that names nothing (`NLST *.txt`, `LIST dir/*.gz`, as
 *   classic clients send for mget/mls) lists the matching entries of its directory; NLST prefixes
 *   them with the directory part as given (`dir/a.gz`), as `ls dir/*.gz` prints them.
 * - Entries matching a hide or deny glob are left out (anonymous). A path named explicitly is not
 *   hidden: hide is for listings, as vsftpd's hide_file.
 * - Dot files only with `-a`, as ls and vsftpd do (MLSD lists them always).
 */
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import type { FtpSession } from '../session.js';
import { FtpError } from '../errors.js';
import { readDirectory } from './directory-stream.js';
import { osPath } from './os-path.js';
import { entryFromStats, type EntryInfo } from './entry-info.js';
import { compileNameGlob, hasGlobCharacters, type Glob } from './globs.js';
import { listFlags, parseListArguments, type ListFlags } from './list-arguments.js';
import { formatLsLine, type LsOptions } from './ls-format.js';
import { accessOf, authorizeFor, isHiddenFor } from './session-access.js';
import { isUploadTempName } from './upload-temp-name.js';
import { asFtpError, type ResolvedPath } from './session-file-system.js';
import { virtualBaseName } from './virtual-path.js';

export type ListingPlan =
  | {
      readonly kind: 'directory';
      readonly directory: ResolvedPath;
      readonly flags: ListFlags;
      /** Only names matching this (a glob's last component). */
      readonly nameFilter: Glob | undefined;
      /** NLST: put before each name (`dir/` for `NLST dir` and `NLST dir/*.txt`). */
      readonly namePrefix: string;
    }
  | {
      readonly kind: 'entry';
      readonly target: ResolvedPath;
      readonly flags: ListFlags;
      /** The entry, named as the listing shows it. */
      readonly entry: EntryInfo;
      /** NLST's line: the path as given. */
      readonly givenPath: string;
    };

export async function planListing(session: FtpSession, argument: string): Promise<ListingPlan> {
  const fs = session.fs;
  const { options, path } = parseListArguments(argument);
  const flags = listFlags(options);
  const target = await fs.resolve(path);
  // Asked before existence, so a refused client cannot tell what is there (the drop box).
  authorizeFor(session, target, 'list');
  if (!target.exists) return planGlob(session, path, flags);
  const info = await session.fs.statEntry(target.real, { symlink: 'refuse' });
  if (info.isDirectory() && !flags.directoryItself) {
    await assertReadableDirectory(target.real);
    // NLST names go with the path as given (`NLST sub` -> `sub/x.c`), as vsftpd's do: clients feed
    // them back to RETR and DELE (mget, mdelete; RFC 959 4.1.3), and a bare `x.c` would name a
    // file in the current directory instead.
    const namePrefix = path === '' ? '' : path.endsWith('/') ? path : `${path}/`;
    return { kind: 'directory', directory: target, flags, nameFilter: undefined, namePrefix };
  }
  const name = path === '' ? '.' : target.virtual === '/' ? '/' : virtualBaseName(target.virtual);
  return { kind: 'entry', target, flags, entry: entryFromStats(name, info), givenPath: path || '.' };
}

/** `dir/*.txt`: the entries of `dir` whose names match; 550 when nothing could match. */
async function planGlob(session: FtpSession, path: string, flags: ListFlags): Promise<ListingPlan> {
  const slash = path.lastIndexOf('/');
  const pattern = path.slice(slash + 1);
  if (!hasGlobCharacters(pattern)) throw new FtpError(550, 'No such file or directory.');
  const dirPart = slash === -1 ? '' : path.slice(0, slash + 1);
  const directory = await session.fs.resolve(dirPart === '' ? '' : dirPart);
  if (!directory.exists) throw new FtpError(550, 'No such file or directory.');
  authorizeFor(session, directory, 'list');
  if (!(await session.fs.statEntry(directory.real, { symlink: 'refuse' })).isDirectory()) {
    throw new FtpError(550, 'No such file or directory.');
  }
  await assertReadableDirectory(directory.real);
  // As in a shell, `*` does not pick dot files unless the pattern itself starts with a dot.
  const globFlags = { ...flags, all: flags.all || pattern.startsWith('.') };
  return { kind: 'directory', directory, flags: globFlags, nameFilter: compileNameGlob(pattern), namePrefix: dirPart };
}

/**
 * A directory the server process cannot read answers 550 now, before a data transfer's 150, rather
 * than failing after it.
 */
export async function assertReadableDirectory(real: string): Promise<void> {
  try {
    await access(osPath(real), constants.R_OK | constants.X_OK);
  } catch (error) {
    throw asFtpError(error);
  }
}

/**
 * The entries a plan lists, a batch at a time, hidden and filtered ones left out. `readLinks`:
 * LIST and STAT show symlink targets.
 */
export async function* plannedEntries(
  session: FtpSession,
  plan: ListingPlan,
  readLinks: boolean,
): AsyncGenerator<EntryInfo[]> {
  if (plan.kind === 'entry') {
    yield [plan.entry];
    return;
  }
  const { directory, flags, nameFilter } = plan;
  for await (const batch of directoryEntries(session, directory, readLinks)) {
    const kept = batch.filter(
      (entry) =>
        (flags.all || !entry.name.startsWith('.')) && (nameFilter === undefined || nameFilter.test(entry.name)),
    );
    if (kept.length > 0) yield kept;
  }
}

/**
 * A directory's entries without the hidden ones; names that cannot be sent are logged once. The
 * directory is read through a pinned descriptor (pinned.ts): it is read once the data connection
 * is open, and by then its path may lead somewhere else.
 */
export async function* directoryEntries(
  session: FtpSession,
  directory: ResolvedPath,
  readLinks: boolean,
): AsyncGenerator<EntryInfo[]> {
  const pinned = await session.fs.pinDirectory(directory.real);
  try {
    const batches = readDirectory(pinned.self, {
      readLinks,
      onSkipped: (skipped) =>
        session.log.warn({ dir: directory.virtual, ...skipped }, 'listing left out names that hold CR/LF'),
    });
    for await (const batch of batches) {
      const kept = batch.filter(
        (entry) =>
          !isUploadTempName(entry.name) &&
          !isHiddenFor(session, {
            virtual: childPath(directory.virtual, entry.name),
            canonical: childPath(directory.canonical, entry.name),
          }),
      );
      if (kept.length > 0) yield kept;
    }
  } finally {
    await pinned.close();
  }
}

export function childPath(dir: string, name: string): string {
  return dir === '/' ? `/${name}` : `${dir}/${name}`;
}

/** LIST and STAT: `ls -l` lines. */
export function lsLines(session: FtpSession, plan: ListingPlan): AsyncGenerator<string[]> {
  const options: LsOptions = { nowMs: Date.now(), owners: accessOf(session).account.anonymous ? 'ftp' : 'numeric' };
  return mapBatches(plannedEntries(session, plan, true), (entry) => formatLsLine(entry, options));
}

/** NLST: names only (RFC 959 4.1.3), prefixed as the plan says. */
export function nameLines(session: FtpSession, plan: ListingPlan): AsyncGenerator<string[]> {
  if (plan.kind === 'entry') return mapBatches(plannedEntries(session, plan, false), () => plan.givenPath);
  return mapBatches(plannedEntries(session, plan, false), (entry) => plan.namePrefix + entry.name);
}

export async function* mapBatches<T>(
  batches: AsyncIterable<readonly T[]>,
  line: (item: T) => string,
): AsyncGenerator<string[]> {
  for await (const batch of batches) yield batch.map(line);
}
