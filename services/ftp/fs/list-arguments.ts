/**
 * LIST/NLST/STAT arguments as clients really send them. Pure.
 *
 * RFC 959 says the argument is a pathname, but clients pass `ls` options first: wget `LIST -a`,
 * basic-ftp `LIST -a <path>`, others `LIST -la`, `LIST -l`, `NLST -a`, `LIST -la /path` (which
 * pyftpdlib answers with 550). Leading words that begin with `-` are taken as options and the rest
 * of the line, inner spaces kept, is the path. `--` ends the options. The caller first checks
 * whether the whole argument names an existing entry: a file really called `-la` is listed, not
 * taken as options.
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
  let rest = argument.trimStart();
  let options = '';
  for (;;) {
    const match = /^(-\S*)(?:\s+|$)/.exec(rest);
    if (!match) break;
    const word = match[1] as string;
    rest = rest.slice(match[0].length);
    if (word === '--') break;
    options += word.slice(1);
  }
  return { options, path: rest };
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
