/**
 * Signals that arrive while classicd is still loading, before `start` can act on them: recorded
 * here, and handed to start's own handlers once they are in place (releaseEarlySignals). Without
 * this, a SIGHUP from a `systemctl reload` or logrotate during start-up killed the server (Node's
 * default for it), and a SIGTERM killed it by signal instead of stopping it. The first import of
 * the command line, so that it runs before the other modules are evaluated.
 */
const HANDLED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR1'];

const received: NodeJS.Signals[] = [];
const record = (signal: NodeJS.Signals): void => {
  received.push(signal);
};
for (const signal of HANDLED) process.on(signal, record);

/** Stops recording (each signal's default comes back unless a handler is installed) and returns what came. */
export function releaseEarlySignals(): NodeJS.Signals[] {
  for (const signal of HANDLED) process.off(signal, record);
  return received.splice(0);
}
