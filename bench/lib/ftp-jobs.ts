/** The jobs an FTP load-client process runs, and what it answers: the IPC contract of bench/ftp-load-client.ts. */

export type FtpClientJob =
  | {
      /**
       * Opens `count` control connections, `parallel` at a time, logs each in anonymously, and
       * keeps them. The deadline is per session.
       */
      readonly kind: 'login';
      readonly port: number;
      readonly count: number;
      readonly parallel: number;
      readonly timeoutMs: number;
    }
  | {
      /** Every held session RETRs `path` at once (EPSV, binary). */
      readonly kind: 'retr';
      readonly path: string;
      readonly expectBytes: number;
      readonly timeoutMs: number;
    }
  | {
      /** Every held session STORs `bytes` bytes to `${dir}/${prefix}-${n}.bin` at once. */
      readonly kind: 'stor';
      readonly dir: string;
      readonly prefix: string;
      readonly bytes: number;
      readonly timeoutMs: number;
    }
  /** QUITs every held session and waits for the server to close each. */
  | { readonly kind: 'quit'; readonly timeoutMs: number }
  /** Drops every held session without a word (after a failure). */
  | { readonly kind: 'release' };

/** Wall-clock instants are `performance.timeOrigin + performance.now()`, comparable across processes. */
export interface FtpJobResult {
  /** Sessions (or transfers) that succeeded. */
  readonly ok: number;
  readonly errors: number;
  /** Error label (a reply code, an errno code, TIMEOUT, CLOSED, SHORT) to count. */
  readonly errorCodes: Record<string, number>;
  /** Bytes moved by the successful transfers. */
  readonly bytes: number;
  readonly startedAt: number;
  /** When the last successful one finished (startedAt if none did). */
  readonly endedAt: number;
}

export type FtpClientReply =
  | { readonly id: number; readonly ok: true; readonly result: FtpJobResult }
  | { readonly id: number; readonly ok: false; readonly error: string };
