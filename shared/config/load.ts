/**
 * Loads the configuration in layers, each overriding the one before:
 * the embedded `config/default.yaml` (the one place defaults live), the user's YAML file, `.env` in
 * the working directory (dotenv), then the process environment (see env-overrides.ts).
 * The result is validated once by zod, every problem reported together, and frozen.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { parseDocument } from 'yaml';
import type { ServiceDefinition } from '../service.js';
import { applyEnvOverrides, CONFIG_FILE_VARIABLE } from './env-overrides.js';
import { deepFreeze, deepMerge, isTree, type Tree } from './merge.js';
import { defaultConfigPath } from './package-root.js';
import { buildConfigSchema, type ClassicdConfig } from './schema.js';

export interface ConfigProblem {
  /** Dotted key path (`services.daytime.port`), or the file for a syntax error. */
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends Error {
  readonly code = 'CLASSICD_CONFIG_INVALID';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(`invalid configuration:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /** The user's YAML file; when absent, CLASSICD_CONFIG names it, else only the defaults apply. */
  readonly file?: string | undefined;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Where `.env` is looked for; the working directory by default. */
  readonly cwd?: string;
}

export interface LoadedConfig {
  readonly config: ClassicdConfig;
  /** Where each layer came from, for the start-up log line. */
  readonly sources: readonly string[];
}

export function loadConfig(services: readonly ServiceDefinition[], options: LoadConfigOptions = {}): LoadedConfig {
  const cwd = options.cwd ?? process.cwd();
  const dotenvPath = resolve(cwd, '.env');
  const dotenvVars = existsSync(dotenvPath) ? parseDotenv(readFileSync(dotenvPath)) : {};
  // The real environment wins over .env, as dotenv itself does.
  const env = { ...dotenvVars, ...(options.env ?? process.env) };
  const sources = [defaultConfigPath()];

  let tree = readYamlTree(defaultConfigPath());
  const file = options.file ?? env[CONFIG_FILE_VARIABLE];
  if (file) {
    const path = resolve(cwd, file);
    tree = deepMerge(tree, readYamlTree(path));
    sources.push(path);
  }
  if (Object.keys(dotenvVars).length > 0) sources.push(dotenvPath);
  const overridden = applyEnvOverrides(tree, env);
  if (overridden.applied.length > 0) sources.push(`env: ${overridden.applied.map((a) => a.variable).join(', ')}`);

  const parsed = buildConfigSchema(services).safeParse(overridden.tree);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.flatMap(describeIssue));
  return { config: deepFreeze(parsed.data as ClassicdConfig), sources };
}

function readYamlTree(path: string): Tree {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([{ path, message: `cannot read: ${(error as Error).message}` }]);
  }
  const document = parseDocument(text, { prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigError(document.errors.map((error) => ({ path, message: error.message.split('\n')[0] ?? '' })));
  }
  const value: unknown = document.toJS() ?? {};
  if (!isTree(value)) throw new ConfigError([{ path, message: 'must hold a mapping of keys at the top' }]);
  return value;
}

interface ZodIssueLike {
  readonly code: string;
  readonly path: readonly PropertyKey[];
  readonly message: string;
  readonly keys?: readonly string[];
}

/** One problem per unknown key, so each names its own full path. */
function describeIssue(issue: ZodIssueLike): ConfigProblem[] {
  const base = issue.path.map(String);
  if (issue.code === 'unrecognized_keys' && issue.keys) {
    return issue.keys.map((key) => ({ path: [...base, key].join('.'), message: 'unknown key' }));
  }
  return [{ path: base.join('.') || '(root)', message: issue.message }];
}
