/**
 * Who gets a TLS session to resume, on one control connection's secure context (with
 * `tls.requireSessionReuse` each control connection has its own: ftp-tls.ts). A data connection is
 * accepted only if it resumes a session of this context (data-tls.ts), so this decides who may
 * open one:
 *
 * - The control connection's own (full) handshake is given sessions: tickets, and for TLS 1.2
 *   clients without tickets a place in the session-id cache (tls-handshake.ts).
 * - A data connection that resumed one is given a new ticket if it is a download or a listing.
 *   OpenSSL clients use a TLS 1.3 ticket once only (RFC 8446 C.4); Node's own ticket keys never
 *   renew one, so curl resumed on its first data connection and then had nothing left to resume
 *   with: every second transfer of a session was refused with 522. vsftpd's OpenSSL renews.
 * - An upload is given none. A TLS 1.3 ticket comes after the handshake, and an uploading client
 *   never reads its data connection: curl closed it with the ticket unread, which makes the kernel
 *   send a reset instead of a FIN, and the upload ended in 426.
 * - A data connection that did not resume (refused, 522) is given nothing. Before, its full
 *   handshake was given tickets of this context like any other: a stranger who reached the data
 *   port first, and was refused, could resume with them on the next transfer and take it.
 *
 * The ticket keys are this context's own, set through the ticket-key callback on Node's native
 * secure context: the hook Node's own tests use (test-https-resume-after-renew.js), not a documented
 * API. Where it is missing, `install` returns undefined and the context keeps Node's keys: curl's
 * every second transfer fails then, and a refused stranger keeps its tickets, as before.
 */
import { randomBytes } from 'node:crypto';
import type { SecureContext, TLSSocket } from 'node:tls';

/** What OpenSSL's ticket-key callback returns (SSL_CTX_set_tlsext_ticket_key_cb). */
const TICKET_UNKNOWN = 0; // decrypt: not ours, do a full handshake; encrypt: issue no ticket
const TICKET_OK = 1;
const TICKET_RENEW = 2; // decrypt: ours, and issue a new one

const TICKET_PART_BYTES = 16; // key name, IV and AES-128 key, as OpenSSL's callback takes them

/** The ticket-key hook on Node's native secure context (`SecureContext.context`). */
interface NativeTicketHooks {
  enableTicketKeyCallback(): void;
  onticketkeycallback?: (name: Buffer, iv: Buffer, encrypt: boolean) => readonly unknown[];
}

type Phase = 'control' | 'download' | 'upload';

export class SessionTickets {
  private readonly keyName = randomBytes(TICKET_PART_BYTES);
  private readonly hmacKey = randomBytes(32);
  private readonly aesKey = randomBytes(TICKET_PART_BYTES);
  private phase: Phase = 'control';
  /** The data connection whose handshake is under way (data handshakes come one at a time). */
  private dataSocket: TLSSocket | undefined;

  /** Takes over `context`'s ticket keys; undefined where Node offers no hook for it. */
  static install(context: SecureContext): SessionTickets | undefined {
    const hooks = (context as unknown as { context?: Partial<NativeTicketHooks> }).context;
    if (typeof hooks?.enableTicketKeyCallback !== 'function') return undefined;
    const tickets = new SessionTickets();
    hooks.onticketkeycallback = (name, _iv, encrypt) => tickets.keys(name, encrypt);
    hooks.enableTicketKeyCallback();
    installed.set(context, tickets);
    return tickets;
  }

  /** Called as each data connection's handshake starts on this context, before it reads a byte. */
  dataHandshakeStarted(socket: TLSSocket, download: boolean): void {
    this.phase = download ? 'download' : 'upload';
    this.dataSocket = socket;
  }

  /** Whether a full handshake now may enter the session-id cache: only the control connection's. */
  get acceptsNewSessions(): boolean {
    return this.phase === 'control';
  }

  /** OpenSSL's ticket-key callback: the keys, and whether to accept, renew or issue. */
  private keys(name: Buffer, encrypt: boolean): readonly unknown[] {
    const { hmacKey, aesKey } = this;
    if (encrypt) {
      // Whether the handshake really resumed, as OpenSSL has it: the key name alone proves nothing
      // (it travels in clear, and OpenSSL checks a ticket's MAC only after this callback), so a
      // stranger that copied it onto a forged ticket must not be given a real one.
      const issue =
        this.phase === 'control' || (this.phase === 'download' && this.dataSocket?.isSessionReused() === true);
      return [issue ? TICKET_OK : TICKET_UNKNOWN, hmacKey, aesKey, this.keyName, randomBytes(TICKET_PART_BYTES)];
    }
    if (!name.equals(this.keyName)) return [TICKET_UNKNOWN, hmacKey, aesKey];
    return [this.phase === 'download' ? TICKET_RENEW : TICKET_OK, hmacKey, aesKey];
  }
}

const installed = new WeakMap<SecureContext, SessionTickets>();

/** The ticket policy installed on `context`, if any. */
export function sessionTicketsOf(context: SecureContext): SessionTickets | undefined {
  return installed.get(context);
}
