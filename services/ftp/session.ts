/**
 * One FTP control connection (RFC 959): the greeting, the command loop, login state, and the
 * transfer in progress. Commands live in commands/; this file owns the order of things.
 *
 * The loop reads one command, runs it, and only then reads the next (STYLE.md 5). A transfer is the
 * exception RFC 959 makes room for: RETR/STOR/LIST start their transfer in the background so that
 * ABOR, STAT, NOOP and QUIT can be read while it runs (RFC 959 4.1.3); any other command waits for
 * the transfer to finish, as if the server had queued it.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { LineReader, type LineConsumer, type LineResult } from '../../shared/net/line-reader.js';
import type { IdleHandler, IdleVerdict, SessionContext } from '../../shared/service.js';
import type { Account } from './auth/accounts.js';
import { parseCommandLine, stripTelnet, telnetRefusals } from './command-line.js';
import type { CommandSpec } from './commands/command-spec.js';
import { COMMANDS, unknownVerbText } from './commands/registry.js';
import { DataConnections } from './data/data-connections.js';
import { FtpError } from './errors.js';
import type { SessionFileSystem } from './fs/session-file-system.js';
import { formatReply, replyWire, type ReplyOptions, type ReplyText } from './reply.js';
import type { FtpShared } from './runtime.js';

export type LoginState =
  | { readonly kind: 'awaiting-user' }
  | { readonly kind: 'awaiting-pass'; readonly userName: string }
  | { readonly kind: 'logged-in'; readonly account: Account; readonly fs: SessionFileSystem };

/**
 * `ABOR<CR>` with no LF: Python's ftplib sends `ABOR<CR><LF>` as TCP urgent data, and on Linux the
 * urgent byte (the LF) never reaches a Node reader. Telnet bytes before it are allowed (RFC 959 4.1.3's
 * IAC IP, IAC DM prelude).
 */
function isUrgentAbort(partial: Buffer): boolean {
  return /^ABOR\r$/i.test(stripTelnet(partial).toString('latin1'));
}

/** RFC 3659 7.9: the facts MLSx shows until OPTS MLST says otherwise. */
const DEFAULT_MLST_FACTS: ReadonlySet<string> = new Set(['type', 'size', 'modify', 'perm', 'unique']);

/**
 * System errors behind a refusal that the admin, not the client, can do something about: the
 * server's user may not write there, the disk is full or read-only. A missing file or a non-empty
 * directory is the client's business and is not logged.
 */
const ADMINS_PROBLEMS: ReadonlySet<string> = new Set(['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT', 'EXDEV', 'EIO']);

function isAdminsProblem(error: FtpError): boolean {
  return error.systemCode !== undefined && ADMINS_PROBLEMS.has(error.systemCode);
}

/** Consecutive failed commands (unknown, bad syntax, out of sequence) before we hang up. */
const MAX_CONSECUTIVE_ERRORS = 50;

/** Lines of one kind a session logs at info (logWithinBudget); later ones go to debug. */
const LOG_LINES_AT_INFO = 20;
/** Directories whose message a login remembers having shown (fs/directory-message.ts). */
const MAX_MESSAGES_REMEMBERED = 100;

/**
 * The replies that count towards it: the client is not speaking FTP as it should (RFC 959 4.2.1:
 * 500-504 syntax and sequence, 530 commands before login). A 550 for a file that is not there is
 * an answer, not a misuse: a script that probes a thousand names with SIZE must not be cut off.
 */
const PROTOCOL_ERROR_CODES: ReadonlySet<number> = new Set([500, 501, 502, 503, 504, 530]);

/** Which way a transfer's bytes go: it decides what happens when the client stops sending commands. */
export type TransferDirection = 'download' | 'upload';

/**
 * A transfer's work: it sends its 150 with `announce`, and its own final reply (226, 426, 451...);
 * ABOR and disconnects fire `signal`.
 */
export type TransferTask = (signal: AbortSignal, announce: AnnounceTransfer) => Promise<void>;

/** Sends a transfer's 150; commands allowed during the transfer are answered after it. */
export type AnnounceTransfer = (text: ReplyText) => Promise<void>;

/** A command's argument as a log line may show it: never a password (PASS, ACCT). */
function loggedArgument(spec: CommandSpec, argument: string): string {
  return spec.secretArgument ? '[redacted]' : argument;
}

interface Transfer {
  readonly description: string;
  readonly direction: TransferDirection;
  readonly abort: AbortController;
  /** Settles once the transfer's 150 is out, or it has ended without one (a 550 before it, say). */
  readonly opened: Promise<void>;
  readonly done: Promise<void>;
}

export class FtpSession implements LineConsumer, IdleHandler {
  login: LoginState = { kind: 'awaiting-user' };
  /** RFC 959 3.1.1: ASCII is the default type. */
  transferType: 'A' | 'I' = 'A';
  /** REST offset for the next RETR/STOR/APPE (RFC 3659 section 5). */
  restartOffset = 0;
  /** RNFR's source, kept only until the very next command (RFC 959 4.1.3). */
  renameFrom: string | undefined;
  /** MLST facts the client asked for with OPTS MLST (RFC 3659 7.9). */
  mlstFacts: ReadonlySet<string> = DEFAULT_MLST_FACTS;
  /** RFC 4217: PBSZ seen, and PROT's data-channel protection level. */
  protectionBufferSizeSet = false;
  dataProtection: 'C' | 'P' = 'C';
  /** Set after EPSV ALL: only EPSV may set up data connections from now on (RFC 2428 section 4). */
  epsvAllOnly = false;
  failedLogins = 0;
  /** Made by the first command that needs it: most idle sessions never set up a data connection. */
  private dataConnections: DataConnections | undefined;
  private transfer: Transfer | undefined;
  private consecutiveErrors = 0;
  private quitting = false;
  private finished = false;
  /** A command is being handled (between its line and the request for the next). */
  private handling = false;
  /** Command lines read so far, for the idle timeout (activity()). */
  private linesRead = 0;
  /** How many lines of each budgeted kind this session has logged (logWithinBudget). */
  private clientFaultsLogged = 0;
  private systemRefusalsLogged = 0;
  private policyRefusalsLogged = 0;
  private tlsLoginRefusalsLogged = 0;
  /** xferlog lines of transfers that moved nothing, written so far (commands/transfer-commands.ts). */
  emptyTransferLines = 0;
  /** Directories whose message this login was shown (fs/directory-message.ts); made at the first. */
  private messagesShown: Set<string> | undefined;
  /** The server is shutting down: 421 and close at the next moment with nothing running. */
  private shutdownRequested = false;
  private readonly reader: LineReader;
  private controlSocket: Socket | TLSSocket;

  constructor(
    socket: Socket,
    readonly shared: FtpShared,
    readonly context: SessionContext,
    /** True when the control connection came in on the implicit-FTPS port already encrypted. */
    private secure = false,
  ) {
    this.controlSocket = socket;
    // No Nagle: replies often come two in a row with nothing from the client between them (150
    // then 226, 426 then 226), and the second would otherwise wait for the client's delayed ACK,
    // 40 ms on Linux, on every transfer.
    socket.setNoDelay(true);
    // Half-open allowed: a client that shuts down its sending side after its last command (a
    // script pipelining USER ... QUIT, `nc -N`) still hears every reply. Node would otherwise end
    // our side at its FIN, and the replies still to come would be dropped. endOfCommands() says
    // what happens then.
    socket.allowHalfOpen = true;
    this.reader = new LineReader(socket, shared.config.maxLineBytes, isUrgentAbort);
  }

  /** PASV/EPSV/PORT/EPRT's setup and the data connection it leads to. */
  get data(): DataConnections {
    this.dataConnections ??= new DataConnections(this);
    return this.dataConnections;
  }

  get log(): Logger {
    return this.context.log;
  }

  get config(): FtpShared['config'] {
    return this.shared.config;
  }

  get control(): Socket | TLSSocket {
    return this.controlSocket;
  }

  /** Whether the control connection is protected by TLS (AUTH TLS or implicit FTPS). */
  get isSecure(): boolean {
    return this.secure;
  }

  get account(): Account | undefined {
    return this.login.kind === 'logged-in' ? this.login.account : undefined;
  }

  /** The logged-in session's file system; handlers behind `access: 'login'` can rely on it. */
  get fs(): SessionFileSystem {
    if (this.login.kind !== 'logged-in') throw new FtpError(530, 'Please login with USER and PASS.');
    return this.login.fs;
  }

  get transferInProgress(): boolean {
    return this.transfer !== undefined;
  }

  get transferDescription(): string | undefined {
    return this.transfer?.description;
  }

  /**
   * Greets the client, then serves one command at a time until QUIT or the end of the stream, and
   * tells the context when it is done. Driven by callbacks rather than an async loop: a session
   * waiting for its next command, which is what most sessions are doing at any moment, then holds
   * no suspended async function and no pending promise (see session-runner.ts).
   */
  start(): void {
    this.context.setIdleHandler(this);
    this.reply(220, this.shared.greeting, { codeEveryLine: true }).then(
      () => this.readNextCommand(),
      (error: unknown) => this.abandon(error),
    );
  }

  /** The reader's callback with the next command line, or the end of the stream. */
  onLine(result: LineResult): void {
    this.linesRead++;
    if (result.kind === 'end') return this.endOfCommands();
    this.handling = true;
    const handled = result.kind === 'overlong' ? this.rejectOverlongLine() : this.handleLine(result.line);
    handled.then(
      () => this.readNextCommand(),
      (error: unknown) => this.abandon(error),
    );
  }

  /**
   * Activity for the idle timeout: whole command lines and reply bytes, not bytes received. A
   * client that sends one byte of a line every few seconds is idle (vsftpd's timer also restarts
   * per command); counting its bytes let such clients hold their session slots for ever.
   */
  activity(): number {
    return this.linesRead + (this.controlSocket.bytesWritten ?? 0);
  }

  /**
   * The idle timeout's goodbye (`idleTimeoutMs`, counted on the control connection). A transfer
   * moves its bytes on another connection, so a session with one running is not idle; otherwise
   * RFC 959 4.2's 421 goes out and the control stream ends (with TLS's close_notify when secure).
   */
  onIdle(): IdleVerdict {
    if (this.transferInProgress) return 'keep';
    this.endAfterReply();
    const socket = this.controlSocket;
    void this.reply(421, 'Timeout.');
    // Queued behind the reply, so the client reads the 421 before the end of the stream.
    if (!socket.destroyed) socket.end();
    return 'closing';
  }

  /**
   * The server is shutting down (SIGTERM). RFC 959 4.2: 421 "may be a reply to any command if the
   * service knows it must shut down". Said at once when the session waits for a command with
   * nothing running; else once the command or the transfer running has finished (its 226 first).
   */
  onShutdown(): void {
    this.shutdownRequested = true;
    if (!this.handling && !this.transferInProgress) this.closeForShutdown();
  }

  private closeForShutdown(): void {
    if (this.quitting || this.finished) return;
    this.endAfterReply();
    void this.reply(421, 'Service shutting down; closing control connection.');
    this.finish(); // its end of the stream is queued behind the reply
  }

  /** Writes one reply; resolves once it is handed to the kernel or the socket is gone. */
  reply(code: number, text: ReplyText, options?: ReplyOptions): Promise<void> {
    const wire = formatReply(code, text, options);
    // Guarded: the protocol trace is off at the default level, and this runs for every reply.
    if (this.context.isLevelEnabled('debug')) this.log.debug({ reply: wire.trimEnd() }, 'ftp reply');
    const socket = this.controlSocket;
    if (socket.destroyed || !socket.writable) return Promise.resolve();
    return new Promise((resolve) => socket.write(replyWire(wire), () => resolve()));
  }

  /** Telnet's IAC DONT/WONT answers (command-line.ts), ahead of the line's reply. */
  private refuseTelnetOptions(refusals: Buffer): void {
    if (this.context.isLevelEnabled('debug'))
      this.log.debug({ telnet: refusals.toString('hex') }, 'telnet options refused');
    const socket = this.controlSocket;
    if (!socket.destroyed && socket.writable) socket.write(refusals);
  }

  /** QUIT and fatal errors: the loop stops after the current command and the connection closes. */
  endAfterReply(): void {
    this.quitting = true;
  }

  /**
   * Starts a transfer in the background (see TransferTask).
   */
  startTransfer(description: string, direction: TransferDirection, task: TransferTask): void {
    const abort = new AbortController();
    let markOpened!: () => void;
    const opened = new Promise<void>((resolve) => (markOpened = resolve));
    // Commands allowed during a transfer (NOOP, STAT, ABOR) are answered only after its 150,
    // whenever they arrive: the 1yz reply belongs to its command (RFC 959 4.2), and a client that
    // matches replies in order would take a NOOP's 200 sent first for STOR's answer. An upload
    // opens its file before its 150, which takes a moment.
    const announce: AnnounceTransfer = async (text) => {
      await this.reply(150, text);
      markOpened();
    };
    const done = task(abort.signal, announce)
      .catch(async (error: unknown) => {
        if (error instanceof FtpError) {
          if (isAdminsProblem(error)) this.logSystemRefusal(error, { transfer: description });
          await this.reply(error.replyCode, error.message);
        } else {
          this.log.error({ err: error, transfer: description }, 'transfer failed');
          await this.reply(451, 'Transfer aborted: local error in processing.');
        }
      })
      .finally(() => {
        markOpened();
        if (this.transfer?.done === done) this.transfer = undefined;
        // Shutting down, with the session waiting for a command: this was what it waited for.
        if (this.shutdownRequested && !this.handling && !this.transfer) this.closeForShutdown();
      });
    this.transfer = { description, direction, abort, opened, done };
    // The session is not over until the transfer has ended and cleaned up (an upload's hidden
    // file removed): its admission, its end line and a stopping worker's exit wait for it. And a
    // control connection that closes stops it, whatever the session was doing then (a QUIT
    // waiting behind an upload reads no end of stream).
    this.context.endsAfter(done);
    const control = this.controlSocket;
    // Closed already while the command was being handled: there is no one to transfer for.
    if (control.destroyed) return abort.abort();
    const stop = (): void => abort.abort();
    control.once('close', stop);
    void done.finally(() => control.off('close', stop));
  }

  /** ABOR: stop the running transfer. Resolves once its final reply is out. */
  async abortTransfer(): Promise<boolean> {
    const transfer = this.transfer;
    if (!transfer) return false;
    transfer.abort.abort();
    await transfer.done;
    return true;
  }

  async waitForTransfer(): Promise<void> {
    await this.transfer?.done;
  }

  /** After AUTH TLS's 234: reads and writes go through the TLS socket from now on. */
  useSecureControl(tlsSocket: TLSSocket): void {
    if (this.reader.pendingBytes > 0) {
      // The client sent more after AUTH before our 234: RFC 4217 4.1 forbids it, and those bytes
      // are not ours to interpret.
      throw new FtpError(421, 'Unexpected data after AUTH; closing.');
    }
    // DataConnections takes its addresses from the control socket when it is made: make it now,
    // while that is still the plain socket.
    this.dataConnections ??= new DataConnections(this);
    this.controlSocket = tlsSocket;
    this.reader.replaceStream(tlsSocket);
    this.secure = true;
  }

  /**
   * Back to the state of a new plain connection, keeping the control connection: REIN (RFC 959
   * 4.1.1; refused under TLS, see its handler) and an accepted AUTH, which sets PBSZ/PROT after.
   * PBSZ and PROT go too: they belong to a security exchange, which a new connection has not
   * made, and Clear is the default protection level (RFC 2228 section 3).
   */
  reinitialize(): void {
    this.login = { kind: 'awaiting-user' };
    this.protectionBufferSizeSet = false;
    this.dataProtection = 'C';
    this.transferType = 'A';
    this.restartOffset = 0;
    this.renameFrom = undefined;
    this.epsvAllOnly = false;
    this.mlstFacts = DEFAULT_MLST_FACTS;
    this.messagesShown = undefined;
    this.dataConnections?.close();
  }

  /** Whether this login was shown the message of the directory `canonical` (a virtual path). */
  messageShown(canonical: string): boolean {
    return this.messagesShown?.has(canonical) ?? false;
  }

  /** Remembers up to MAX_MESSAGES_REMEMBERED directories, as vsftpd (VSFTP_MAX_VISIT_REMEMBER). */
  markMessageShown(canonical: string): void {
    this.messagesShown ??= new Set();
    if (this.messagesShown.size < MAX_MESSAGES_REMEMBERED) this.messagesShown.add(canonical);
  }

  /**
   * Asks for the next command, or ends the session after QUIT. Guarded: it runs in a promise's
   * callback, where a throw would otherwise become an unhandled rejection instead of failing the
   * session.
   */
  private readNextCommand(): void {
    this.handling = false;
    try {
      if (this.quitting) this.finish();
      else if (this.shutdownRequested && !this.transferInProgress) this.closeForShutdown();
      else this.reader.read(this);
    } catch (error) {
      this.abandon(error);
    }
  }

  /**
   * The client will send no more commands: it closed the control connection, or only its sending
   * half. The replies to every command before are out (the socket is half-open, see the
   * constructor). A download still running finishes and sends its 226 before we close, as vsftpd
   * does (RFC 959 4.1.1 keeps the connection open for a transfer's result). An upload is given up,
   * as before: a client killed mid-upload closes both its connections with a FIN too, so the data
   * connection's end would not prove the file whole (data/README.md). A client that sends QUIT
   * first gets its upload finished by QUIT.
   */
  private endOfCommands(): void {
    const transfer = this.transfer;
    if (!transfer || transfer.direction === 'upload' || this.controlSocket.destroyed) return this.finish();
    transfer.done.then(
      () => this.finish(),
      (error: unknown) => this.abandon(error),
    );
  }

  /** The session is over: let go of what it holds and tell the context. */
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.release();
    // A TLS control connection ends with TLS's close_notify before the TCP FIN, so the client
    // can tell our goodbye from a truncation (closure alerts: RFC 5246 7.2.1, RFC 8446 6.1).
    // Ending the plain socket underneath, as context.finish() does, would skip it.
    if (this.secure && !this.controlSocket.destroyed) this.controlSocket.end();
    this.context.finish();
  }

  /** A failure nothing else caught: the session is over, logged as failed. */
  private abandon(error: unknown): void {
    this.release();
    this.context.fail(error);
  }

  /**
   * Stops the transfer, the data connections and the control stream's reader. A transfer stopped
   * here still cleans up after itself (an upload's hidden file removed, an append cut back), and
   * the session is not over until it has: at shutdown the worker would otherwise exit first.
   */
  private release(): void {
    this.transfer?.abort.abort(); // startTransfer made the session's end wait for it
    this.dataConnections?.close();
    this.reader.release();
  }

  private async rejectOverlongLine(): Promise<void> {
    this.logClientFault({ maxLineBytes: this.config.maxLineBytes }, 'overlong command line');
    await this.replyError(new FtpError(500, 'Command line too long.'));
  }

  private async handleLine(raw: Buffer): Promise<void> {
    const refusals = telnetRefusals(raw);
    if (refusals) this.refuseTelnetOptions(refusals);
    const parsed = parseCommandLine(raw);
    if (!parsed.ok) {
      if (parsed.reason === 'empty') return; // a stray CRLF is no command (RFC 959 5.3)
      this.logClientFault({ reason: parsed.reason, bytes: raw.length }, 'malformed command line');
      return this.replyError(new FtpError(500, 'Syntax error, command unrecognized.'));
    }
    const { verb, argument } = parsed;
    const spec = COMMANDS.get(verb);
    if (!spec) {
      const shown = unknownVerbText(verb);
      this.logClientFault(shown === undefined ? { cmdLength: verb.length } : { cmd: shown }, 'unknown command');
      return this.replyError(
        new FtpError(500, shown === undefined ? 'Command not understood.' : `${shown}: command not understood.`),
      );
    }
    if (this.context.isLevelEnabled('debug')) {
      this.log.debug({ cmd: verb, arg: loggedArgument(spec, argument) }, 'ftp command');
    }
    if (this.transfer) await (spec.duringTransfer ? this.transfer.opened : this.transfer.done);
    if (spec.access === 'login' && this.login.kind !== 'logged-in') {
      return this.replyError(new FtpError(530, 'Please login with USER and PASS.'));
    }
    // RNTO must follow RNFR at once; anything else forgets it (RFC 959 4.1.3).
    if (verb !== 'RNTO' && verb !== 'RNFR') this.renameFrom = undefined;
    const running = this.runHandler(spec, argument);
    if (spec.preparesUpload) this.context.endsAfter(running);
    await running;
  }

  private async runHandler(spec: CommandSpec, argument: string): Promise<void> {
    try {
      await spec.handler(this, argument);
      this.consecutiveErrors = 0;
    } catch (error) {
      if (!(error instanceof FtpError)) {
        this.log.error({ err: error, cmd: spec.verb }, 'command failed');
        return this.replyError(new FtpError(451, 'Local error in processing.'));
      }
      if (error.replyCode === 421) {
        await this.reply(421, error.message);
        this.endAfterReply();
        return;
      }
      if (isAdminsProblem(error)) this.logSystemRefusal(error, { cmd: spec.verb, arg: loggedArgument(spec, argument) });
      await this.replyError(error);
    }
  }

  /**
   * A refusal that came from the file system rather than the session's permissions (the server's
   * user may not write the upload directory, the disk is full): the client's 550 or 552 alone
   * would leave the admin guessing, so it is logged with the system's code.
   */
  private logSystemRefusal(error: FtpError, what: object): void {
    this.systemRefusalsLogged += 1;
    this.logWithinBudget(
      this.systemRefusalsLogged,
      'file-system refusals',
      { ...what, code: error.systemCode, reply: error.replyCode },
      'refused by the file system',
    );
  }

  /**
   * A refusal by the account's permissions or the anonymous rules (a drop-box read-back, an upload
   * outside it, a denied path): what an admin looks for to see a site probed, as vsftpd's FAIL
   * lines show it. Logged within its own budget (logWithinBudget).
   */
  logPolicyRefusal(fields: { readonly path: string; readonly action: string }): void {
    this.policyRefusalsLogged += 1;
    this.logWithinBudget(this.policyRefusalsLogged, 'access-policy refusals', fields, 'refused by the access policy');
  }

  /**
   * A USER refused because the control connection is not protected (tlsRequired). Any name may
   * draw one under tls.requireForLocalUsers, so it has a budget of its own (logWithinBudget).
   */
  logTlsLoginRefusal(user: string): void {
    this.tlsLoginRefusalsLogged += 1;
    this.logWithinBudget(this.tlsLoginRefusalsLogged, 'TLS login refusals', { user }, 'login refused: TLS required');
  }

  /** A line about bad input from this client (logWithinBudget). */
  private logClientFault(fields: object, message: string): void {
    this.clientFaultsLogged += 1;
    this.logWithinBudget(this.clientFaultsLogged, 'bad input', fields, message);
  }

  /**
   * The `nth` line of its `kind` in this session: at info for the first few and at debug after that.
   * One client sending `BOGUS` and `NOOP` by turns (NOOP resets the consecutive-error count) wrote
   * 20,000 info lines in a second. Bad input, the access policy's refusals and the file system's
   * (the admin's to fix: EACCES, ENOSPC...) each have a budget, so junk never hides a full disk.
   */
  private logWithinBudget(nth: number, kind: string, fields: object, message: string): void {
    if (nth <= LOG_LINES_AT_INFO) {
      this.context.logInfo(fields, message);
      if (nth === LOG_LINES_AT_INFO) {
        this.context.logInfo(
          { lines: LOG_LINES_AT_INFO, kind },
          'further lines of this kind are logged at debug level',
        );
      }
    } else if (this.context.isLevelEnabled('debug')) {
      this.log.debug(fields, message);
    }
  }

  private async replyError(error: FtpError): Promise<void> {
    await this.reply(error.replyCode, error.message);
    if (!PROTOCOL_ERROR_CODES.has(error.replyCode)) {
      this.consecutiveErrors = 0;
      return;
    }
    this.consecutiveErrors += 1;
    if (this.consecutiveErrors >= MAX_CONSECUTIVE_ERRORS) {
      this.log.info({ errors: this.consecutiveErrors }, 'too many errors; closing');
      await this.reply(421, 'Too many errors; closing control connection.');
      this.endAfterReply();
    }
  }
}
