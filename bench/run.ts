/**
 * `npm run bench [-- SUITE... [--quick] [--only KEY,...] [--no-docs]]`: runs benchmark suites
 * against real servers on 127.0.0.1 and records the results in docs/benchmarks.md.
 *
 * A script, not a timed test: it starts every server and load client it needs as child processes,
 * bounds every loop in count and time, and stops everything it started, also when it fails or is
 * interrupted. Progress goes to standard error, results to standard output.
 */
import { parseArgs } from 'node:util';
import { describeMachine } from './lib/machine.js';
import { updateBenchmarksDoc } from './lib/docs.js';
import type { Suite } from './lib/suite.js';
import { ftpSuite } from './ftp.js';
import { smallSuite } from './small.js';

/** Every suite, in the order `npm run bench` runs them. FTP, SMTP and the others join here. */
const SUITES: readonly Suite[] = [smallSuite, ftpSuite];

const HELP = `Usage: npm run bench -- [SUITE...] [options]

Suites (all when none is named):
${SUITES.map((suite) => `  ${suite.name.padEnd(10)} ${suite.description}`).join('\n')}

Options:
  --quick          smaller sizes and shorter windows, to try the harness (not recorded in docs)
  --only KEY,...   run only these targets of the suite (not recorded in docs); keys:
${SUITES.map((suite) => `                   ${suite.name}: ${suite.targetKeys.join(', ')}`).join('\n')}
  --no-docs        do not update docs/benchmarks.md
  -h, --help       this help

BENCH_NODE_FLAGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") is passed to classicd's primary, and through cluster to its workers.
`;

async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      'no-docs': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const unknown = positionals.filter((name) => !SUITES.some((suite) => suite.name === name));
  if (unknown.length > 0) {
    process.stderr.write(`bench: unknown suite ${unknown.join(', ')}\n\n${HELP}`);
    return 2;
  }
  const selected = positionals.length === 0 ? SUITES : SUITES.filter((suite) => positionals.includes(suite.name));
  const targets = values.only
    ? values.only
        .split(',')
        .map((key) => key.trim())
        .filter(Boolean)
    : [];

  const machine = describeMachine(argv);
  const progress = (line: string): void =>
    void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  progress(
    `${machine.command}: ${machine.nproc} CPUs (${machine.cpu}), Node ${machine.node}, fd limit ${machine.fdLimit}`,
  );

  let failed = false;
  for (const suite of selected) {
    progress(`suite ${suite.name}: ${suite.description}`);
    const report = await suite.run({ quick: values.quick, targets, progress });
    process.stdout.write(`\n== ${suite.title} ==\n${report.text}\n`);
    failed ||= report.failed;
    if (report.recordable && !values['no-docs']) {
      const file = updateBenchmarksDoc(suite, report, machine);
      progress(`recorded in ${file}`);
    } else {
      progress('not recorded in docs/benchmarks.md (--quick, --only or --no-docs)');
    }
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1); // the exit handler stops every process the bench started
  },
);
