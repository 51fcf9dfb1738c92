/**
 * `classicd hash-password [PASSWORD]`: prints the scrypt hash to paste as an FTP user's `password`.
 * Without an argument the password is read from standard input: typed without echo (and asked
 * twice) on a terminal, else the first line of whatever is piped in, so that it need not appear in
 * the shell's history or the process list.
 */
import { hashPassword } from '../services/ftp/auth/password-hash.js';
import { decodeRawBytes } from '../shared/text/raw-bytes.js';

const EXIT_USAGE = 2;
/** More than any password; a piped file beyond this is a mistake, not a password. */
const MAX_INPUT_BYTES = 64 * 1024;

export async function hashPasswordCommand(argument: string | undefined): Promise<number> {
  let password: string | undefined;
  if (argument !== undefined) password = argument;
  else if (process.stdin.isTTY) password = await askOnTerminal();
  else password = await firstLineOfStdin();
  if (password === undefined) return EXIT_USAGE;
  if (password === '') {
    process.stderr.write('classicd: the password is empty\n');
    return EXIT_USAGE;
  }
  process.stdout.write(`${await hashPassword(password)}\n`);
  return 0;
}

async function firstLineOfStdin(): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    length += chunk.length;
    if (chunk.includes(0x0a)) break;
    if (length > MAX_INPUT_BYTES) {
      process.stderr.write('classicd: standard input is too long for a password\n');
      return undefined;
    }
  }
  // Bytes that are not UTF-8 (a Latin-1 password) stay themselves, as the FTP server takes PASS.
  const text = decodeRawBytes(Buffer.concat(chunks));
  const newline = text.indexOf('\n');
  return (newline === -1 ? text : text.slice(0, newline)).replace(/\r$/, '');
}

async function askOnTerminal(): Promise<string | undefined> {
  const first = await readHidden('Password: ');
  if (first === undefined) return undefined;
  const second = await readHidden('Again: ');
  if (second === undefined) return undefined;
  if (first !== second) {
    process.stderr.write('classicd: the passwords differ\n');
    return undefined;
  }
  return first;
}

/** One line from the terminal with echo off; undefined on Ctrl-C or Ctrl-D. */
function readHidden(prompt: string): Promise<string | undefined> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  stdin.setEncoding('utf8');
  let typed = '';
  return new Promise((resolve) => {
    const finish = (result: string | undefined): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      resolve(result);
    };
    const onData = (text: string): void => {
      for (const char of text) {
        if (char === '\r' || char === '\n') return finish(typed);
        if (char === '\u0003' || char === '\u0004') return finish(undefined); // Ctrl-C, Ctrl-D
        if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('');
        else typed += char;
      }
    };
    stdin.on('data', onData);
  });
}
