/** What every benchmark suite looks like to bench/run.ts. */

export interface SuiteOptions {
  /** Smaller sizes and shorter windows, for trying the harness; results are not written to docs. */
  readonly quick: boolean;
  /** Only these targets (by key), when not empty. */
  readonly targets: readonly string[];
  /** Progress lines go here (standard error), so standard output holds only the results. */
  readonly progress: (line: string) => void;
}

export interface SuiteReport {
  /** Plain text for the terminal. */
  readonly text: string;
  /** Markdown for this suite's section of docs/benchmarks.md (without the section heading). */
  readonly markdown: string;
  /** A full run of every target: worth recording in docs/benchmarks.md. */
  readonly recordable: boolean;
  /** Something could not be measured (listed in the report). */
  readonly failed: boolean;
}

export interface Suite {
  readonly name: string;
  /** The heading of its section in docs/benchmarks.md. */
  readonly title: string;
  readonly description: string;
  readonly targetKeys: readonly string[];
  run(options: SuiteOptions): Promise<SuiteReport>;
}
