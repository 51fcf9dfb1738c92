/**
 * Listings over real sockets with the real server, anonymous: LIST/NLST/MLSD over the data
 * connection, MLST and STAT <path> over the control connection, the hide/deny globs, the drop box,
 * and a symlink out of the root.
 */
import { symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClassicd, testConfig, type RunningClassicd } from '../../helpers/classicd.js';
import { FtpClient } from '../../helpers/ftp.js';
import { anonymousConfig, FAST_FTP, listing, lsName, makeTree } from './fs-fixture.js';

let server: RunningClassicd;
let tree: ReturnType<typeof makeTree>;

beforeAll(async () => {
  tree = makeTree();
  server = await startClassicd(testConfig({ ftp: { ...FAST_FTP, anonymous: anonymousConfig(tree.anon) } }));
});

afterAll(async () => {
  await server?.stop();
  tree?.cleanup();
});

async function anonymous(): Promise<FtpClient> {
  const ftp = await FtpClient.connect(server.port('ftp'));
  await ftp.login();
  return ftp;
}

/** `latin1-\uDCE9`: the name's byte 0xE9, not UTF-8, sent as itself (shared/text/raw-bytes.ts). */
const PUB_VISIBLE = [
  'docs',
  'etc',
  'latin1-\uDCE9',
  'old.txt',
  'readme.txt',
  'space name.txt',
  'to-private',
  'ünïcödé.txt',
];

describe('LIST', () => {
  it.each([
    ['LIST /pub', PUB_VISIBLE],
    ['LIST -a /pub', ['.dotfile', ...PUB_VISIBLE]],
    ['LIST -la /pub', ['.dotfile', ...PUB_VISIBLE]],
    ['LIST -l /pub', PUB_VISIBLE],
    ['LIST -l -a /pub', ['.dotfile', ...PUB_VISIBLE]],
  ])('%s lists the directory, hidden, denied and unsendable names left out', async (command, expected) => {
    const ftp = await anonymous();
    try {
      const result = await listing(ftp, command);
      expect(result.reply.code).toBe(226);
      expect(result.raw.endsWith('\r\n')).toBe(true);
      expect(result.raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/); // CRLF line ends only
      expect(result.lines.map(lsName).sort()).toEqual([...expected].sort());
    } finally {
      ftp.close();
    }
  });

  it('logs the names it left out because they hold CR/LF', async () => {
    const ftp = await anonymous();
    try {
      await listing(ftp, 'LIST -a /pub');
      const line = await server.waitForLine((l) => l.msg.startsWith('listing left out names'));
      expect(line).toMatchObject({ level: 40, dir: '/pub', lineBreak: 1 });
    } finally {
      ftp.close();
    }
  });

  it('lists the working directory for LIST, LIST -a and LIST -la (wget, basic-ftp)', async () => {
    const ftp = await anonymous();
    try {
      await ftp.expect('CWD /pub', 250);
      for (const command of ['LIST', 'LIST -a', 'LIST -la']) {
        const result = await listing(ftp, command);
        expect(result.reply.code, command).toBe(226);
        expect(result.lines.map(lsName), command).toContain('readme.txt');
      }
    } finally {
      ftp.close();
    }
  });

  it('prints ls -l lines: ftp owners, time for recent files, the year for old ones, link targets', async () => {
    const ftp = await anonymous();
    try {
      const { lines } = await listing(ftp, 'LIST /pub');
      const byName = new Map(lines.map((line) => [lsName(line), line]));
      expect(byName.get('readme.txt')).toMatch(
        /^-rw-r--r-- +1 ftp {6}ftp {13}6 [A-Z][a-z]{2} \d\d \d\d:\d\d readme\.txt$/,
      );
      expect(byName.get('old.txt')).toMatch(/ Jan 02 {2}2020 old\.txt$/);
      expect(byName.get('docs')).toMatch(/^lrwxrwxrwx .* docs -> \.\.\/docs$/);
      expect(byName.get('etc')).toMatch(/^l.* etc -> \/etc$/);
      expect(byName.get('ünïcödé.txt')).toMatch(/^-.* ünïcödé\.txt$/);
    } finally {
      ftp.close();
    }
  });

  it('lists a single file by its name', async () => {
    const ftp = await anonymous();
    try {
      const result = await listing(ftp, 'LIST -la /pub/readme.txt');
      expect(result.reply.code).toBe(226);
      expect(result.lines).toHaveLength(1);
      expect(lsName(result.lines[0] as string)).toBe('readme.txt');
    } finally {
      ftp.close();
    }
  });

  // As vsftpd, ProFTPD and pure-ftpd: a leading `-` is options, even where a file has that name.
  // Taking the file instead let an uploader's `STOR -a` turn wget's `LIST -a` into a one-line listing.
  it('takes `-la` as options even beside a file of that name, which `./-la` and `-- -la` name', async () => {
    const ftp = await anonymous();
    try {
      await ftp.expect('CWD /odd', 250);
      const whole = await listing(ftp, 'LIST -la');
      expect(whole.lines.map(lsName).sort()).toEqual([' lead.txt', '-la', 'plain.txt']);
      for (const named of ['LIST ./-la', 'LIST -- -la', 'LIST -l ./-la']) {
        const result = await listing(ftp, named);
        expect(result.lines).toHaveLength(1);
        expect(result.lines[0]).toMatch(/^-rw-.* 14 .* -la$/);
      }
      expect((await listing(ftp, 'NLST -a')).lines.sort()).toEqual([' lead.txt', '-la', 'plain.txt']);
    } finally {
      ftp.close();
    }
  });

  // RFC 959 5.3.1: one space separates the verb from the pathname, which may begin with a space.
  it('lists a name that begins with a space, with and without options', async () => {
    const ftp = await anonymous();
    try {
      for (const [command, line] of [
        ['LIST  lead.txt', / lead\.txt$/],
        ['LIST -l ./ lead.txt', / lead\.txt$/], // after options, white space is skipped: named so
        ['LIST /odd/ lead.txt', / lead\.txt$/],
        ['NLST /odd/ lead.txt', /^\/odd\/ lead\.txt$/],
      ] as const) {
        if (!command.includes('/odd')) await ftp.expect('CWD /odd', 250);
        const result = await listing(ftp, command);
        expect(result.reply.code, command).toBe(226);
        expect(result.lines, command).toHaveLength(1);
        expect(result.lines[0], command).toMatch(line);
      }
    } finally {
      ftp.close();
    }
  });

  it('lists the directory itself with -d', async () => {
    const ftp = await anonymous();
    try {
      const result = await listing(ftp, 'LIST -ld /pub');
      expect(result.lines).toHaveLength(1);
      expect(result.lines[0]).toMatch(/^drwx.* pub$/);
    } finally {
      ftp.close();
    }
  });

  it.each([
    ['LIST /pub/private', 'a denied directory'],
    ['LIST /pub/to-private', 'a symlink to a denied directory'],
    ['LIST /pub/server.key', 'a denied file'],
    ['LIST /incoming', 'the drop box'],
    ['LIST -la /incoming', 'the drop box, with options'],
    ['NLST /incoming', 'the drop box, names only'],
    ['MLSD /incoming', 'the drop box, machine listing'],
    ['LIST /incoming/existing.bin', 'a file in the drop box'],
    ['NLST /incoming/*', 'a glob in the drop box'],
    ['LIST /pub/etc', 'a symlink out of the root'],
    ['LIST /pub/etc/passwd', 'a file through a symlink out of the root'],
    ['MLSD /pub/etc', 'a symlink out of the root, machine listing'],
    ['LIST /nonexistent', 'a path that does not exist'],
    ['LIST ../../../etc', 'a climb above the root, which stays at the root: /etc does not exist there'],
  ])('%s is refused with 550 before any data moves (%s)', async (command) => {
    const ftp = await anonymous();
    try {
      const result = await listing(ftp, command);
      expect(result.opened).toBe(false);
      expect(result.reply.code).toBe(550);
    } finally {
      ftp.close();
    }
  });

  it('answers the same for files that are and are not in the drop box', async () => {
    const ftp = await anonymous();
    try {
      const there = await listing(ftp, 'LIST /incoming/existing.bin');
      const notThere = await listing(ftp, 'LIST /incoming/missing.bin');
      expect(there.reply.lines).toEqual(notThere.reply.lines);
      expect((await ftp.command('MLST /incoming/existing.bin')).lines).toEqual(
        (await ftp.command('MLST /incoming/missing.bin')).lines,
      );
      expect((await ftp.command('SIZE /incoming/existing.bin')).lines).toEqual(
        (await ftp.command('SIZE /incoming/missing.bin')).lines,
      );
    } finally {
      ftp.close();
    }
  });

  it('refuses LIST of the drop box from inside it, where anonymous may go', async () => {
    const ftp = await anonymous();
    try {
      await ftp.expect('CWD /incoming', 250);
      expect((await listing(ftp, 'LIST')).reply.code).toBe(550);
      expect((await listing(ftp, 'NLST -a')).reply.code).toBe(550);
    } finally {
      ftp.close();
    }
  });
});

describe('NLST', () => {
  const inPub = (prefix: string, names: readonly string[]): string[] => names.map((name) => `${prefix}${name}`);

  // A directory's names come with the path as given, as vsftpd's do: tnftp's `mdelete pub` sends
  // `NLST pub` and then DELE for each line, and bare names would delete files in the working directory.
  it.each([
    ['NLST /pub', inPub('/pub/', PUB_VISIBLE)],
    ['NLST pub', inPub('pub/', PUB_VISIBLE)],
    ['NLST pub/', inPub('pub/', PUB_VISIBLE)],
    ['NLST -a /pub', inPub('/pub/', ['.dotfile', ...PUB_VISIBLE])],
    ['NLST /pub/*.txt', ['/pub/old.txt', '/pub/readme.txt', '/pub/space name.txt', '/pub/ünïcödé.txt']],
    ['NLST /pub/r*', ['/pub/readme.txt']],
    ['NLST /pub/.d*', ['/pub/.dotfile']],
    ['NLST /pub/readme.txt', ['/pub/readme.txt']],
  ])('%s', async (command, expected) => {
    const ftp = await anonymous();
    try {
      const result = await listing(ftp, command);
      expect(result.reply.code).toBe(226);
      expect(result.lines.sort()).toEqual([...expected].sort());
    } finally {
      ftp.close();
    }
  });

  it('names entries relative to the working directory for `NLST` and `NLST *.txt` (mget)', async () => {
    const ftp = await anonymous();
    try {
      await ftp.expect('CWD pub', 250);
      expect((await listing(ftp, 'NLST')).lines.sort()).toEqual([...PUB_VISIBLE].sort());
      const result = await listing(ftp, 'NLST *.txt');
      expect(result.lines.sort()).toEqual(['old.txt', 'readme.txt', 'space name.txt', 'ünïcödé.txt']);
      expect((await listing(ftp, 'NLST *.none')).reply.code).toBe(226); // a pattern matching nothing: empty
    } finally {
      ftp.close();
    }
  });
});

describe('MLSD and MLST (RFC 3659)', () => {
  it('lists facts: cdir, pdir, files with size, directories el, files r, symlinks as OS.unix=symlink', async () => {
    const ftp = await anonymous();
    try {
      const result = await listing(ftp, 'MLSD /pub');
      expect(result.reply.code).toBe(226);
      const byName = new Map(
        result.lines.map((line) => {
          const space = line.indexOf(' ');
          return [line.slice(space + 1), line.slice(0, space)];
        }),
      );
      expect([...byName.keys()].sort()).toEqual(['.', '..', '.dotfile', ...PUB_VISIBLE].sort());
      expect(byName.get('.')).toMatch(/^type=cdir;modify=\d{14}(\.\d{3})?;perm=el;unique=[0-9a-f]+g[0-9a-f]+;$/);
      expect(byName.get('..')).toMatch(/^type=pdir;.*perm=el;/);
      expect(byName.get('readme.txt')).toMatch(
        /^type=file;size=6;modify=\d{14}(\.\d{3})?;perm=r;unique=[0-9a-f]+g[0-9a-f]+;$/,
      );
      expect(byName.get('old.txt')).toContain('modify=20200102030405;');
      expect(byName.get('docs')).toMatch(/^type=OS\.unix=symlink;/);
      expect(byName.get('ünïcödé.txt')).toContain('size=2;');
    } finally {
      ftp.close();
    }
  });

  // lftp's mirror takes MLSD, and left out every `type=OS.unix=symlink` entry, which carries no
  // target: a link to a file inside the root now comes with the file's facts, as MLST's answer.
  it("lists a link to a file inside the root with the file's facts; other links stay links", async () => {
    const link = join(tree.anon, 'pub', 'readme-link');
    const outside = join(tree.anon, 'pub', 'passwd-link');
    symlinkSync('readme.txt', link);
    symlinkSync('/etc/passwd', outside);
    const ftp = await anonymous();
    try {
      const result = await listing(ftp, 'MLSD /pub');
      const line = (name: string): string | undefined => result.lines.find((entry) => entry.endsWith(` ${name}`));
      expect(line('readme-link')).toMatch(
        /^type=file;size=6;modify=\d{14}(\.\d{3})?;perm=r;unique=[0-9a-f]+g[0-9a-f]+; /,
      );
      expect(line('readme-link')?.split(' ')[0]).toBe(line('readme.txt')?.split(' ')[0]); // the same file
      expect(line('passwd-link')).toMatch(/^type=OS\.unix=symlink;/); // leads out of the root
      expect(line('docs')).toMatch(/^type=OS\.unix=symlink;/); // a directory: never followed
    } finally {
      ftp.close();
      unlinkSync(link);
      unlinkSync(outside);
    }
  });

  it('sends only the facts OPTS MLST selected, and FEAT marks them', async () => {
    const ftp = await anonymous();
    try {
      const feat = await ftp.expect('FEAT', 211);
      expect(feat.lines).toContain(' MLST type*;size*;modify*;perm*;unique*;unix.mode;');
      expect(feat.lines).toEqual(expect.arrayContaining([' SIZE', ' MDTM', ' MFMT']));
      expect((await ftp.expect('OPTS MLST type;size;unix.mode;', 200)).lines).toEqual([
        '200 MLST OPTS type;size;unix.mode;',
      ]);
      const result = await listing(ftp, 'MLSD /pub');
      expect(result.lines).toContain('type=file;size=6;unix.mode=0644; readme.txt');
      expect((await ftp.expect('FEAT', 211)).lines).toContain(' MLST type*;size*;modify;perm;unique;unix.mode*;');
      // RFC 3659 7.9: "MLST OPTS" [SP 1*(factname ";")], so no trailing space when none is selected.
      expect((await ftp.expect('OPTS MLST', 200)).lines).toEqual(['200 MLST OPTS']);
    } finally {
      ftp.close();
    }
  });

  it('answers MLST over the control connection (7.2)', async () => {
    const ftp = await anonymous();
    try {
      const reply = await ftp.expect('MLST /pub/readme.txt', 250);
      expect(reply.lines).toHaveLength(3);
      expect(reply.lines[0]).toBe('250-Listing /pub/readme.txt');
      expect(reply.lines[1]).toMatch(
        /^ type=file;size=6;modify=\d{14}(\.\d{3})?;perm=r;unique=[0-9a-f]+g[0-9a-f]+; \/pub\/readme\.txt$/,
      );
      expect(reply.lines[2]).toBe('250 End');
      await ftp.expect('CWD /pub', 250);
      expect((await ftp.expect('MLST', 250)).lines[1]).toMatch(/^ type=dir;.*perm=el;.* \/pub$/);
      // Through a symlink inside the root: the facts of what it points at.
      expect((await ftp.expect('MLST docs', 250)).lines[1]).toMatch(/^ type=dir;.* \/pub\/docs$/);
      // The drop box is enterable, but not listable.
      expect((await ftp.expect('MLST /incoming', 550)).code).toBe(550);
      expect((await ftp.expect('MLST /pub/etc', 550)).code).toBe(550);
      expect((await ftp.expect('MLST /pub/server.key', 550)).code).toBe(550);
      expect((await ftp.expect('MLST /nonexistent', 550)).code).toBe(550);
    } finally {
      ftp.close();
    }
  });

  it('answers MLSD of a file with 501 (7.2.1)', async () => {
    const ftp = await anonymous();
    try {
      expect((await listing(ftp, 'MLSD /pub/readme.txt')).reply.code).toBe(501);
    } finally {
      ftp.close();
    }
  });
});

describe('STAT <path> (RFC 959 4.1.3)', () => {
  it('lists a directory over the control connection, as directory status (212, RFC 959 4.2)', async () => {
    const ftp = await anonymous();
    try {
      const reply = await ftp.expect('STAT /pub', 212);
      expect(reply.lines[0]).toBe('212-Status of /pub:');
      expect(reply.lines.at(-1)).toBe('212 End of status.');
      expect(reply.lines.slice(1, -1).map(lsName).sort()).toEqual([...PUB_VISIBLE].sort());
      const all = await ftp.expect('STAT -la /pub', 212);
      expect(all.lines.slice(1, -1).map(lsName)).toContain('.dotfile');
    } finally {
      ftp.close();
    }
  });

  it('lists one file, and refuses what LIST refuses, with 450 (RFC 959 5.4 lists no 550 for STAT)', async () => {
    const ftp = await anonymous();
    try {
      const reply = await ftp.expect('STAT /pub/readme.txt', 213);
      expect(reply.lines).toHaveLength(3);
      expect(lsName(reply.lines[1] as string)).toBe('readme.txt');
      for (const path of ['/incoming', '/pub/private', '/pub/etc', '/pub/server.key', '/nope']) {
        expect((await ftp.command(`STAT ${path}`)).code, path).toBe(450);
      }
    } finally {
      ftp.close();
    }
  });
});
