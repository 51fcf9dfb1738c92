/**
 * Turns one control-connection line into a verb and an argument. Pure.
 *
 * The control connection speaks Telnet (RFC 959 section 4.1, "the Telnet protocol"): IAC sequences
 * are stripped, IAC IAC stands for a 0xFF byte. Every option stays off: a request to turn one on is
 * refused (`telnetRefusals`), as RFC 1123 3.2.1 has a host do with an option it does not support
 * and 4.1.2.12 lets a server-FTP do with every one. ABOR arrives after IAC IP IAC DM (RFC 959 4.1.3), and
 * one byte of that is sent as TCP urgent data, which Linux takes out of the stream (Node cannot read
 * it). BSD ftp sends IAC IP IAC with the second IAC urgent, then DM ABOR, so a bare DM (0xF2) is
 * left before the verb; lftp sends the DM urgent (RFC 854's Synch), so an IAC is left before the
 * verb's first letter. Clients that send nothing urgent leave the whole sequence in the stream.
 */
import { decodeRawBytes } from '../../shared/text/raw-bytes.js';

const IAC = 0xff;
const CR = 0x0d;
const DONT = 0xfe;
const DO = 0xfd;
const WONT = 0xfc;
const WILL = 0xfb;
const SB = 0xfa;
const SE = 0xf0;
const DM = 0xf2;
/** The lowest Telnet command byte (RFC 854): what follows an IAC below it is not a command. */
const LOWEST_COMMAND = SE;

/**
 * Removes Telnet commands from one line's bytes. `refusals`, if given, collects the answers to its
 * option requests (see telnetRefusals), so that both read the line by one grammar.
 */
export function stripTelnet(line: Buffer, refusals?: number[]): Buffer {
  if (!line.includes(IAC) && line[0] !== DM) return line;
  const out = Buffer.alloc(line.length);
  let length = 0;
  let i = 0;
  while (i < line.length) {
    const byte = line[i] as number;
    // A lone DM before the command is what remains of IAC DM when its IAC was the urgent byte
    // (BSD ftp: IAC IP IAC, the last IAC urgent, then DM ABOR).
    if (byte === DM && length === 0) {
      i++;
      continue;
    }
    if (byte !== IAC) {
      out[length++] = byte;
      i++;
      continue;
    }
    const command = line[i + 1];
    if (command === undefined || command < LOWEST_COMMAND) {
      // Before the verb: an IAC whose command went urgent (lftp's IAC IP IAC <DM urgent> ABOR),
      // dropped. After it: a 0xFF in a name (Latin-1 ÿ) from a client that does not double it, as
      // RFC 854 asks and curl and ftplib do not; kept, as vsftpd keeps it.
      if (length > 0) out[length++] = IAC;
      i++;
    } else if (command === IAC) {
      out[length++] = IAC;
      i += 2;
    } else if (command >= WILL && command <= DONT) {
      // Option negotiation: IAC WILL/WONT/DO/DONT <option>. A request to turn one on is refused.
      const option = line[i + 2];
      if (refusals && option !== undefined && (command === WILL || command === DO)) {
        refusals.push(IAC, command === WILL ? DONT : WONT, option);
      }
      i += 3;
    } else if (command === SB) {
      const end = line.indexOf(Buffer.from([IAC, SE]), i + 2);
      i = end === -1 ? line.length : end + 2;
    } else {
      i += 2; // IAC IP, IAC DM, IAC AYT, ...
    }
  }
  return out.subarray(0, length);
}

/**
 * What to answer the option negotiation in one line's bytes: IAC DONT for each IAC WILL, IAC WONT
 * for each IAC DO (RFC 854; RFC 1123 3.2.1: "A host MUST refuse (i.e, reply WONT/DONT to a DO/WILL)
 * an unsupported option"). WONT and DONT ask for what already holds, so they get nothing, and as
 * this side never asks, nothing it says can start a loop (RFC 1143). Undefined when there is none.
 */
export function telnetRefusals(line: Buffer): Buffer | undefined {
  if (!line.includes(IAC)) return undefined;
  const refusals: number[] = [];
  stripTelnet(line, refusals);
  return refusals.length > 0 ? Buffer.from(refusals) : undefined;
}

export type ParsedCommand =
  | { readonly ok: true; readonly verb: string; readonly argument: string }
  /** `malformed`: not a verb of letters, then a space and an argument, or only white space (`CWD<TAB>pub`, `NOOP<CR>X`). */
  | { readonly ok: false; readonly reason: 'empty' | 'malformed' };

/**
 * `RETR some file.txt` -> verb RETR, argument "some file.txt". The verb is case-insensitive
 * (RFC 959 5.3); the argument is kept exactly, spaces included, as pathnames may hold them. Text is
 * UTF-8 (RFC 2640). A byte that is not (a Latin-1 client's name for a Latin-1 file) is kept as an
 * escaped raw byte (shared/text/raw-bytes.ts), never guessed at or replaced: it names exactly the
 * bytes on disk, as vsftpd, ProFTPD and pure-ftpd take it.
 */
export function parseCommandLine(raw: Buffer): ParsedCommand {
  let text = decodeRawBytes(stripTelnet(raw));
  // Some clients end lines with a stray CR or pad the verb; the argument keeps inner spaces. A loop,
  // not /\r+$/: that RegExp tries every CR of a run as its start, quadratic in a line of thousands.
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === CR) end--;
  text = text.slice(0, end);
  // A verb alone may trail white space (`NOOP<TAB>`, a harmless quirk); an argument comes after one space.
  const match = /^\s*([A-Za-z]{1,16})(?: (.*)|\s*)$/s.exec(text);
  // Not a command (RFC 959 5.3: letters, then a space before any argument). Guessing one, as by
  // taking `CWD<TAB>pub` for CWD without its argument, would answer 250 for what was not done.
  if (!match) return { ok: false, reason: text.trim() === '' ? 'empty' : 'malformed' };
  return { ok: true, verb: (match[1] as string).toUpperCase(), argument: match[2] ?? '' };
}
