/**
 * MLST/MLSD entries (RFC 3659 section 7): `fact=value;fact=value; pathname`. Pure.
 *
 * Facts offered (7.5): type, size, modify, perm, unique, and unix.mode (IANA's OS.unix registry;
 * the octal permission bits as pure-ftpd and ProFTPD send them). The set a session gets is
 * `session.mlstFacts`, changed by OPTS MLST (7.9); FEAT advertises them all with `*` on the active
 * ones (7.8).
 *
 * - type (7.5.1): file, dir, cdir (the listed directory) and pdir (its parent) in MLSD; symlinks are
 *   `OS.unix=symlink`: the form RFC 3659's grammar allows (the RFC's examples show
 *   `OS.unix=slink:<target>`, which it does not; see the RFC's errata), and a target path would tell
 *   where the link leads, maybe outside the root. (MLSD shows a link to a file inside the root as
 *   that file: machine-listing.ts.) Other
 *   special files `OS.unix=fifo`, `OS.unix=socket`, `OS.unix=chr`, `OS.unix=blk`.
 * - size (7.5.7): octets, files only (a directory's size means nothing across systems).
 * - modify (7.5.3): UTC, `YYYYMMDDHHMMSS` with `.sss` when the file system has milliseconds.
 * - perm (7.5.5): letters from the account's permissions and the access policy (perm-facts.ts).
 * - unique (7.5.2): device and inode in hex, `<dev>g<ino>`, so hard links and a path reached two
 *   ways compare equal.
 */
import type { EntryInfo, EntryType } from './entry-info.js';
import { formatFtpTime } from './ftp-time.js';

/** Every fact we can send, in the order entries and FEAT show them. */
export const MLST_FACTS = ['type', 'size', 'modify', 'perm', 'unique', 'unix.mode'] as const;

/** The FEAT line (RFC 3659 7.8): `MLST type*;size*;modify*;perm*;unique*;unix.mode;`. */
export function mlstFeature(active: ReadonlySet<string>): string {
  return `MLST ${MLST_FACTS.map((fact) => `${fact}${active.has(fact) ? '*' : ''};`).join('')}`;
}

const TYPE_FACT: Readonly<Record<EntryType, string>> = {
  file: 'file',
  dir: 'dir',
  symlink: 'OS.unix=symlink',
  fifo: 'OS.unix=fifo',
  socket: 'OS.unix=socket',
  char: 'OS.unix=chr',
  block: 'OS.unix=blk',
  unknown: 'OS.unix=unknown',
};

export interface FactOptions {
  /** Which facts to send (session.mlstFacts). */
  readonly facts: ReadonlySet<string>;
  /** The perm fact's letters, already computed. */
  readonly perm: string;
  /** In MLSD: the listed directory is `cdir`, its parent `pdir` (7.5.1). */
  readonly role?: 'cdir' | 'pdir';
}

/** The facts part of an entry, each ended by `;`: `type=file;size=12;modify=20261126050807;`. */
export function formatFacts(entry: EntryInfo, options: FactOptions): string {
  const { facts } = options;
  let out = '';
  for (const fact of MLST_FACTS) {
    if (!facts.has(fact)) continue;
    switch (fact) {
      case 'type':
        out += `type=${options.role ?? TYPE_FACT[entry.type]};`;
        break;
      case 'size':
        if (entry.type === 'file') out += `size=${entry.size};`;
        break;
      case 'modify':
        out += `modify=${formatFtpTime(entry.mtimeMs, true)};`;
        break;
      case 'perm':
        out += `perm=${options.perm};`;
        break;
      case 'unique':
        out += `unique=${entry.dev.toString(16)}g${entry.ino.toString(16)};`;
        break;
      case 'unix.mode':
        out += `unix.mode=0${(entry.mode & 0o7777).toString(8)};`;
        break;
    }
  }
  return out;
}

/** One entry line without the line end (7.2): the facts, one space, the pathname. */
export function formatMlsxLine(facts: string, pathname: string): string {
  return `${facts} ${pathname}`;
}
