/**
 * The classicd command line (entered through classicd.ts, which records early signals first).
 * Process-wide concerns (signals, exit codes) live here and nowhere else: the supervisor and
 * services never call process.exit or install signal handlers.
 */
import { releaseEarlySignals } from './early-signals.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify as toYaml } from 'yaml';
import { SERVICES } from '../services/index.js';
import { ConfigError, loadConfig, type ConfigProblem } from '../shared/config/load.js';
import type { ClassicdConfig } from '../shared/config/schema.js';
import { packageRoot } from '../shared/config/package-root.js';
import { redactSecrets } from '../shared/config/redact.js';
import { startHttpServer } from '../shared/http/server.js';
import { abandonUnwrittenLogLines, createLogger } from '../shared/log/logger.js';
import { resolveIdentity, WORKERS_AS_ROOT_WARNING, workersWouldRunAsRoot } from '../shared/supervisor/privileges.js';
import { StoppedWhileStarting, Supervisor } from '../shared/supervisor/supervisor.js';
import { hashPasswordCommand } from './hash-password.js';

const EXIT_USAGE = 2;
const EXIT_FAILURE = 1;
/** How long a stopped primary waits for its last log writes before it exits anyway. */
const EXIT_LINGER_MS = 2000;

const HELP = `classicd: FTP and the inetd small services on one supervisor (SMTP, Telnet and Rlogin to come)

Usage:
  classicd start [--config FILE]     run every enabled service (the default command)
  classicd check-config [FILE]       print the effective config, secrets redacted;
                                     or list every problem with its key path (exit 2)
  classicd hash-password [PASSWORD]  print the scrypt hash for an FTP user's password;
                                     without PASSWORD, read it from standard input
                                     (typed without echo on a terminal);
                                     put -- before a password that starts with '-'
  classicd --version                 print the version
  classicd --help                    print this help

The config is config/default.yaml, then FILE (or CLASSICD_CONFIG), then .env, then
CLASSICD_* environment variables, e.g. CLASSICD_SERVICES__DAYTIME__PORT=13.
`;

function version(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
  return manifest.version;
}

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  version: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const;

async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: OPTIONS });
  } catch (error) {
    // parseArgs throws a TypeError with a readable message for an unknown or malformed option.
    process.stderr.write(`classicd: ${(error as Error).message}\n\n${HELP}`);
    return EXIT_USAGE;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`classicd ${version()}\n`);
    return 0;
  }
  const [command = 'start', file] = positionals;
  // Only start keeps a signal for later; the other commands take them as Node does by default.
  if (command !== 'start') releaseEarlySignals();
  switch (command) {
    case 'start':
      return start(values.config ?? file);
    case 'check-config':
      return await checkConfig(file ?? values.config);
    case 'hash-password':
      if (positionals.length > 2) {
        process.stderr.write(`classicd: hash-password takes one password (quote it if it has spaces)\n\n${HELP}`);
        return EXIT_USAGE;
      }
      return hashPasswordCommand(file);
    default:
      process.stderr.write(`classicd: unknown command '${command}'\n\n${HELP}`);
      return EXIT_USAGE;
  }
}

async function checkConfig(file: string | undefined): Promise<number> {
  try {
    const { config, sources } = loadConfig(SERVICES, { file });
    const problems = await startProblems(config);
    if (problems.length > 0) {
      const lines = problems.map((p) => `  ${p.path}: ${p.message}`).join('\n');
      process.stderr.write(`classicd: the configuration is valid, but classicd could not start with it:\n${lines}\n`);
      return EXIT_USAGE;
    }
    if (workersRunAsRoot(config)) process.stderr.write(`classicd: warning: ${WORKERS_AS_ROOT_WARNING}\n`);
    process.stdout.write(`# effective configuration, from: ${sources.join('; ')}\n`);
    process.stdout.write(toYaml(redactSecrets(config)));
    return 0;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`classicd: ${error.message}\n`);
    return EXIT_USAGE;
  }
}

/** Whether the workers would serve as root; false where the user cannot be resolved (start says why). */
function workersRunAsRoot(config: ClassicdConfig): boolean {
  try {
    return workersWouldRunAsRoot(config.supervisor.user, config.supervisor.group);
  } catch {
    return false;
  }
}

/** What start would fail on that the schema cannot see: files, and the workers' user. */
async function startProblems(config: ClassicdConfig): Promise<ConfigProblem[]> {
  const problems: ConfigProblem[] = [];
  try {
    resolveIdentity(config.supervisor.user, config.supervisor.group);
  } catch (error) {
    problems.push({ path: 'supervisor', message: (error as Error).message });
  }
  for (const service of SERVICES) {
    const serviceConfig = config.services[service.name];
    if (!serviceConfig?.enabled || !service.preflight) continue;
    for (const problem of await service.preflight(serviceConfig)) {
      problems.push({ path: `services.${service.name}.${problem.path}`, message: problem.message });
    }
  }
  return problems;
}

async function start(file: string | undefined): Promise<number> {
  let loaded;
  try {
    loaded = loadConfig(SERVICES, { file });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`classicd: ${error.message}\n`);
    return EXIT_USAGE;
  }
  const { config, sources } = loaded;
  const log = createLogger(config.log, { base: { proc: 'primary' } });
  log.info({ version: version(), sources }, 'starting');
  if (workersRunAsRoot(config)) log.warn(WORKERS_AS_ROOT_WARNING);

  const supervisor = new Supervisor({
    config,
    services: SERVICES,
    log,
    workerEntry: fileURLToPath(new URL('./classicd-worker.js', import.meta.url)),
  });
  // The first signal stops gracefully (sessions finish within the grace period); the second closes
  // every session now, but still lets each clean up (an upload's temporary file goes) before the
  // workers exit; the third exits at once.
  let signalled = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signalled += 1;
    log.info({ signal, count: signalled }, 'signal received');
    if (signalled === 1) void supervisor.stop();
    else if (signalled === 2) void supervisor.hurry();
    else {
      log.warn({ signal }, 'third signal: exiting now');
      process.exit(EXIT_FAILURE);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  // SIGHUP (systemd's ExecReload, logrotate's postrotate) and SIGUSR1 (nginx's reopen signal):
  // reopen log files, re-read certificates. Handled, SIGUSR1 also no longer opens Node's debugger
  // port, which it does by default: for a server started as root, a root shell for local users.
  const onReopen = (signal: NodeJS.Signals): void => {
    log.info({ signal }, 'signal received');
    void supervisor.reopen();
  };
  process.on('SIGHUP', onReopen);
  process.on('SIGUSR1', onReopen);
  // What came while classicd loaded, acted on now: a SIGTERM then stops the start at once.
  for (const signal of releaseEarlySignals()) {
    if (signal === 'SIGHUP' || signal === 'SIGUSR1') onReopen(signal);
    else onSignal(signal);
  }

  let http: Awaited<ReturnType<typeof startHttpServer>> | undefined;
  try {
    const bound = await supervisor.start();
    if (config.http.enabled) http = await startHttpServer(config.http, supervisor);
    log.info({ bound, http: http ? { address: config.http.host, port: http.port } : null }, 'ready');
  } catch (error) {
    // A signal during start-up: a stop that was asked for, not a failure.
    const stopped = error instanceof StoppedWhileStarting;
    if (stopped) log.info('stopped while starting');
    else log.fatal({ err: error }, 'could not start');
    await supervisor.stop(0);
    await http?.server.close();
    log.flush();
    return stopped ? 0 : EXIT_FAILURE;
  }

  const reason = await supervisor.stopped;
  await http?.server.close();
  log.flush();
  return reason.kind === 'requested' ? 0 : EXIT_FAILURE;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // Everything is closed, so the process ends as soon as nothing is left to do; one thing can be
    // left: a log write that standard output does not take (a pipe nobody reads), which would hold
    // the process for ever. Past the linger, such lines are given up.
    setTimeout(() => {
      abandonUnwrittenLogLines();
      process.exit();
    }, EXIT_LINGER_MS).unref();
  },
  (error: unknown) => {
    process.stderr.write(`classicd: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = EXIT_FAILURE;
  },
);
