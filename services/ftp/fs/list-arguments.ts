/**
 * LIST/NLST/STAT arguments as clients really send them. Pure.
 *
 * RFC 959 says the argument is a pathname, but clients pass `ls` options first: wget `LIST -a`,
 * basic-ftp `LIST -a <path>`, others `LIST -la`, `LIST -l`, `NLST -a`, `LIST -la /path` (which
 * pyftpdlib answers with 550). An argument that begins with `-` is taken as options, always, as
 * vsftpd, ProFTPD and pure-ftpd take it: words separated by white space, `--` ending them, and what
 * follows the white space after the last is the path (`NLST -la  /` is `/`). A file really called `-la` is named
 * `./-la` or `-- -la`. Taking `-la` as that file whenever one existed let anyone who may upload
 * (`STOR -a`) turn every `LIST -a` of the directory (wget, file managers) into a listing of that one
 * file, and a mirror of it into nothing.
 *
 * Without options the argument is the path as it is, leading spaces included (RFC 959 5.3.1: one
 * space separates the verb from its argument): `LIST  x` names ` x`, as RETR would. An argument of
 * white space only is the working directory.
 *
 * Options that change the result: `a`/`A` (show dot files), `d` (the directory itself, not its
 * contents). The rest (`l`, `R`, `t`, ...) are accepted and ignored, as vsftpd does (no recursion).
 */

export interface ListArguments {
  /** The option letters, in the order given: `la`. */
  readonly options: string;
  /** The path, possibly empty (the working directory). */
  readonly path: string;
}

export function parseListArguments(argument: string): ListArguments {
  let rest = argument;
  let options = '';
  while (rest.startsWith('-')) {
    const match = /^(\S*)\s*/.exec(rest) as RegExpExecArray;
    const word = match[1] as string;
    rest = rest.slice(match[0].length);
    if (word === '--') break;
    options += word.slice(1);
  }
  return { options, path: rest.trim() === '' ? '' : rest };
}

export interface ListFlags {
  /** Show names that begin with a dot (ls -a). */
  readonly all: boolean;
  /** List a directory as an entry instead of its contents (ls -d). */
  readonly directoryItself: boolean;
}

export function listFlags(options: string): ListFlags {
  return { all: /[aA]/.test(options), directoryItself: options.includes('d') };
}
