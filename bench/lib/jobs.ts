/** The jobs a load-client process runs, and what it answers: the IPC contract of bench/load-client.ts. */

export type ClientJob =
  | {
      readonly kind: 'daytime';
      readonly port: number;
      /** Sessions this process keeps in flight at once. */
      readonly concurrency: number;
      /** Sessions before the window are not counted (JIT warm-up, listen queues filling). */
      readonly warmupMs: number;
      readonly durationMs: number;
      /** How long in-flight sessions may take to finish after the window before they are cut. */
      readonly drainMs: number;
    }
  | {
      readonly kind: 'echo';
      readonly port: number;
      readonly totalBytes: number;
      readonly chunkBytes: number;
      readonly timeoutMs: number;
    }
  | {
      readonly kind: 'hold';
      readonly port: number;
      readonly count: number;
      /** Connections being opened at once. */
      readonly parallel: number;
      readonly timeoutMs: number;
    }
  | { readonly kind: 'release'; readonly timeoutMs: number };

export interface DaytimeResult {
  readonly completed: number;
  readonly errors: number;
  readonly errorCodes: Record<string, number>;
  readonly windowMs: number;
  readonly warmupSessions: number;
  /** Every session that ended, warm-up and drain included: what the server's CPU time paid for. */
  readonly sessions: number;
  /** Sessions still open when the drain period ran out. */
  readonly stuck: number;
}

export interface EchoResult {
  readonly bytes: number;
  readonly ms: number;
}

export interface HoldResult {
  readonly established: number;
  readonly errors: number;
  readonly errorCodes: Record<string, number>;
  readonly ms: number;
}

export interface ReleaseResult {
  readonly released: number;
  /** Held connections the server had not closed by the time of the release. */
  readonly stillOpenAtRelease: number;
}

export type ClientReply =
  | { readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly id: number; readonly ok: false; readonly error: string };
