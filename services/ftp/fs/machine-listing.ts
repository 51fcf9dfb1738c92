/**
 * MLSD and MLST (RFC 3659 section 7): the machine-readable listing of a directory over the data
 * connection, and the facts of one path over the control connection.
 *
 * Both resolve the path (symlinks followed, inside the root) and need the `list` permission on it
 * (MLSD lists a link to a file inside the root with the file's facts: linkedFile);
 * MLSD lists dot files too (7.2 defines no hiding), leaving out only what hide/deny globs hide.
 * MLSD's first entries are the directory itself (`type=cdir`, named `.`) and, below the root, its
 * parent (`type=pdir`, `..`), as pure-ftpd and ProFTPD send them and as clients expect to skip.
 */
import { FtpError } from '../errors.js';
import type { FtpSession } from '../session.js';
import { entryFromStats, type EntryInfo } from './entry-info.js';
import { assertReadableDirectory, childPath, directoryEntries } from './listing.js';
import { formatFacts, formatMlsxLine } from './mlsx-format.js';
import { workerCredentials } from './os-access.js';
import { permFact } from './perm-facts.js';
import { accessOf, authorizeFor, isHiddenFor, mayDo } from './session-access.js';
import type { ResolvedPath } from './session-file-system.js';
import { virtualParent } from './virtual-path.js';

/** MLSD's directory: it must exist, be listable, and be a directory (7.2.1: else 501). */
export async function planMachineListing(session: FtpSession, argument: string): Promise<ResolvedPath> {
  const target = await session.fs.resolve(argument);
  authorizeFor(session, target, 'list');
  if (!target.exists) throw new FtpError(550, 'No such file or directory.');
  const info = await session.fs.statEntry(target.real, { symlink: 'refuse' });
  if (!info.isDirectory()) throw new FtpError(501, 'Not a directory: use MLST for a file.');
  await assertReadableDirectory(target.real);
  return target;
}

/** MLSD's lines, a batch at a time: cdir, pdir, then the entries. */
export async function* mlsdLines(session: FtpSession, directory: ResolvedPath): AsyncGenerator<string[]> {
  const { account, rules } = accessOf(session);
  const facts = session.mlstFacts;
  const head: string[] = [];
  // Read once the data connection is open, when the path may lead elsewhere: statEntry takes the
  // facts through the checked parent, and refuses (550, nothing sent) a directory swapped away.
  const self = entryFromStats('.', await session.fs.statEntry(directory.real, { symlink: 'refuse' }));
  const who = workerCredentials();
  const parent = directory.virtual === '/' ? undefined : await parentOf(session, directory);
  const selfPerm = permFact(account, rules, directory, 'dir', { who, entry: self, parent: parent?.entry });
  head.push(formatMlsxLine(formatFacts(self, { facts, perm: selfPerm, role: 'cdir' }), '.'));
  if (parent) {
    const perm = permFact(account, rules, parent.path, 'dir', { who, entry: parent.entry });
    head.push(formatMlsxLine(formatFacts(parent.entry, { facts, perm, role: 'pdir' }), '..'));
  }
  if (head.length > 0) yield head;
  for await (const batch of directoryEntries(session, directory, false)) {
    const lines: string[] = [];
    for (const listed of batch) {
      const path = {
        virtual: childPath(directory.virtual, listed.name),
        canonical: childPath(directory.canonical, listed.name),
      };
      const followed = listed.type === 'symlink' ? await linkedFile(session, path.virtual, listed.name) : undefined;
      const [entry, factsPath] = followed ?? [listed, path];
      // DELE and RNFR act on the name, in this directory, whoever owns what a link leads to.
      const os = { who, entry, parent: self, nameOwner: listed.uid };
      lines.push(
        formatMlsxLine(
          formatFacts(entry, { facts, perm: permFact(account, rules, factsPath, entry.type, os) }),
          listed.name,
        ),
      );
    }
    yield lines;
  }
}

/**
 * A symlink in MLSD that leads to a regular file inside the root, and that the session may see, is
 * listed with that file's facts under the link's name, as MLST of the link answers. The RFC has no
 * type that carries a link's target, and `type=OS.unix=symlink` alone made lftp's `mirror` (which
 * takes MLSD when offered) leave every symlink out: it now gets the file, as from pyftpdlib. Links
 * to directories stay `OS.unix=symlink`: a client that followed them could loop for ever (a link to
 * an ancestor), and links leading out of the root or nowhere say nothing more.
 */
async function linkedFile(
  session: FtpSession,
  virtual: string,
  name: string,
): Promise<[EntryInfo, ResolvedPath] | undefined> {
  try {
    const target = await session.fs.resolve(virtual);
    if (!target.exists || !mayDo(session, target, 'list') || isHiddenFor(session, target)) return undefined;
    const entry = await entryAt(session, target.real, name);
    return entry?.type === 'file' ? [entry, target] : undefined;
  } catch {
    return undefined; // out of the root, or gone
  }
}

/** MLST's reply lines (7.2): `Listing <path>`, ` <facts> <path>`, `End`. */
export async function mlstReply(session: FtpSession, argument: string): Promise<string[]> {
  const { account, rules } = accessOf(session);
  const target = await session.fs.resolve(argument);
  authorizeFor(session, target, 'list');
  if (!target.exists) throw new FtpError(550, 'No such file or directory.');
  const entry = await entryAt(session, target.real, target.virtual);
  if (!entry) throw new FtpError(550, 'No such file or directory.');
  const parent = target.virtual === '/' ? undefined : await parentOf(session, target);
  const os = { who: workerCredentials(), entry, parent: parent?.entry };
  const facts = formatFacts(entry, {
    facts: session.mlstFacts,
    perm: permFact(account, rules, target, entry.type, os),
  });
  // The entry line starts with one space (7.2), which also keeps it from looking like a reply code.
  return [`Listing ${target.virtual}`, ` ${formatMlsxLine(facts, target.virtual)}`, 'End'];
}

/** The directory above `path` and its facts (shown as `..`); undefined if it cannot be read. */
async function parentOf(
  session: FtpSession,
  path: ResolvedPath,
): Promise<{ readonly path: ResolvedPath; readonly entry: EntryInfo } | undefined> {
  const parent = await session.fs.resolve(virtualParent(path.virtual)).catch(() => undefined);
  const entry = parent?.exists ? await entryAt(session, parent.real, '..') : undefined;
  return parent && entry ? { path: parent, entry } : undefined;
}

/** The entry at a resolved `real` (statEntry: as it is inside the root), shown as `name`. */
async function entryAt(session: FtpSession, real: string, name: string): Promise<EntryInfo | undefined> {
  try {
    return entryFromStats(name, await session.fs.statEntry(real, { symlink: 'refuse' }));
  } catch {
    return undefined;
  }
}
