#!/usr/bin/env -S node --max-semi-space-size=1
/**
 * The classicd command's entry (the command line itself is cli.ts).
 *
 * It is this small so that early-signals.ts is in place within milliseconds of Node starting:
 * every module is read and linked before any runs, so cli.ts's graph, loaded statically, left a
 * fifth of a second in which a SIGHUP (a `systemctl reload`) killed the server and a SIGTERM killed
 * it by signal. Loaded after, with import(), it gets whatever came meanwhile.
 *
 * The flag on the first line (also in `npm start` and the Docker image's CMD) gives this process,
 * the primary, a 1 MiB young generation instead of V8's default of up to 16 MiB. The primary only
 * accepts and hands on connections, and each hand-off leaves a few KB of short-lived garbage: with
 * the default, that slowly made up to 32 MiB of young-generation pages resident, about 6 KB per
 * session in `npm run bench ftp`'s idle-session measure with `dispatch: handoff`. Workers get their
 * own size from supervisor.workerSemiSpaceMiB. Node reads such flags only at start-up, hence here.
 */
import './early-signals.js';

await import('./cli.js');
