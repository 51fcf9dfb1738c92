/**
 * The root config schema, built from the list of services so that the framework names none of them.
 * Every object is strict: an unknown key is an error that names the key, never a silent typo.
 */
import { z } from 'zod';
import type { ServiceDefinition } from '../service.js';
import { hostSchema, portSchema, type CommonServiceConfig, type DispatchMode } from './service-limits.js';
import { SCHEDULER_NAMES } from '../supervisor/schedulers/index.js';

/** A user or group, by name or by id: YAML reads `user: 65534` as a number, which means the id. */
const nameOrId = z.union([z.string(), z.number().int().nonnegative().transform(String)], {
  error: 'must be a name or a numeric id',
});

export const logSchema = z.strictObject({
  level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  /** `auto` writes readable lines to a terminal and JSON lines anywhere else. */
  format: z.enum(['auto', 'json', 'pretty']),
  /**
   * Lines are written in batches of this many bytes (and at least every 100 ms); 0 writes each line
   * as it comes, for tailing a protocol trace live. Batching keeps logging from halving the rate of
   * short sessions.
   */
  bufferBytes: z.number().int().min(0).max(1_048_576),
});

export const httpSchema = z.strictObject({
  enabled: z.boolean(),
  host: hostSchema,
  port: portSchema,
});

export const supervisorSchema = z.strictObject({
  /** Worker processes; `auto` is one per core. */
  workers: z.union([z.literal('auto'), z.number().int().min(1).max(256)]),
  /** How each worker's share of new connections is chosen (LVS/IPVS names). */
  scheduler: z.enum(SCHEDULER_NAMES),
  /** Weights for the weighted schedulers, one per worker; missing entries weigh 1. */
  workerWeights: z.array(z.number().int().min(0).max(65535)),
  /**
   * For services whose `dispatch` is `default`. `handoff`: the primary accepts, admits and passes
   * each socket to a worker it picks. `brokered`: workers accept on the shared listening socket and
   * admit against counts every process shares (`admissionTable`), so limits stay exact without
   * passing sockets.
   * `shared`: every worker accepts and admits for itself; fastest for very short sessions, with
   * limits enforced per worker. See docs/architecture.md.
   */
  dispatch: z.enum(['handoff', 'brokered', 'shared']),
  /**
   * Brokered services: `true` keeps the counts in memory every process maps (the native addon), so
   * a worker admits with no message; `false`, or no addon, sends each admission to the primary.
   */
  admissionTable: z.boolean(),
  /** `pooled`: many sessions per worker. `per-session`: a fresh worker for each session. */
  isolation: z.enum(['pooled', 'per-session']),
  /** At most this many worker restarts within restartPeriodMs; one more stops the supervisor. */
  restartIntensity: z.number().int().min(0),
  restartPeriodMs: z.number().int().positive(),
  /** After SIGTERM, sessions get this long to finish before they are closed. */
  shutdownGraceMs: z.number().int().min(0),
  /** V8's --max-semi-space-size for the workers, in MiB (young generation); 0 is V8's default. */
  workerSemiSpaceMiB: z.number().int().min(0).max(1024),
  /**
   * The user (name or uid) the workers, which serve every session, run as once their services
   * have started; empty keeps the user classicd started as (supervisor/privileges.ts).
   */
  user: nameOrId,
  /** The workers' group (name or gid); empty is the user's primary group. */
  group: nameOrId,
});

export function buildConfigSchema(services: readonly ServiceDefinition[]) {
  const serviceShape = Object.fromEntries(services.map((service) => [service.name, service.configSchema]));
  return z
    .strictObject({
      log: logSchema,
      http: httpSchema,
      supervisor: supervisorSchema,
      services: z.strictObject(serviceShape),
    })
    .superRefine((config, context) => {
      // A per-session worker exists for one handed-over session; workers that accept for themselves
      // would each take many.
      if (config.supervisor.isolation !== 'per-session') return;
      for (const [name, service] of Object.entries(config.services as Record<string, CommonServiceConfig>)) {
        if (service.enabled && effectiveDispatch(service, config.supervisor) !== 'handoff') {
          context.addIssue({
            code: 'custom',
            path: ['services', name, 'dispatch'],
            message: 'supervisor.isolation per-session needs dispatch handoff',
          });
        }
      }
    });
}

/** The dispatch mode a service really uses. */
export function effectiveDispatch(
  service: Pick<CommonServiceConfig, 'dispatch'>,
  supervisor: Pick<SupervisorConfig, 'dispatch'>,
): DispatchMode {
  return service.dispatch === 'default' ? supervisor.dispatch : service.dispatch;
}

export type LogConfig = z.infer<typeof logSchema>;
export type HttpConfig = z.infer<typeof httpSchema>;
export type SupervisorConfig = z.infer<typeof supervisorSchema>;

/** The validated, frozen configuration. Service sections are typed by their own modules. */
export interface ClassicdConfig {
  readonly log: LogConfig;
  readonly http: HttpConfig;
  readonly supervisor: SupervisorConfig;
  readonly services: Readonly<Record<string, import('./service-limits.js').CommonServiceConfig>>;
}
