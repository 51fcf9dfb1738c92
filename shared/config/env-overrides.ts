/**
 * Environment variables override config keys.
 *
 * Naming: `CLASSICD_` then the key path, segments joined by a double underscore, any case:
 * `CLASSICD_LOG__LEVEL=debug`, `CLASSICD_SERVICES__DAYTIME__PORT=13`,
 * `CLASSICD_SERVICES__ECHO__MAXSESSIONSPERIP=4`. A segment matches an existing key case-insensitively,
 * so camelCase keys need no special spelling. Values are read as YAML scalars or flow collections:
 * `10` is a number, `true` a boolean, `[10.0.0.0/8, ::1]` a list.
 * `CLASSICD_CONFIG` is not a key: it names the config file.
 */
import { parse as parseYaml } from 'yaml';
import { isTree, type Tree } from './merge.js';

export const ENV_PREFIX = 'CLASSICD_';
export const CONFIG_FILE_VARIABLE = 'CLASSICD_CONFIG';
const RESERVED = new Set([CONFIG_FILE_VARIABLE]);

export interface EnvOverride {
  readonly variable: string;
  readonly path: readonly string[];
  readonly value: unknown;
}

/** Applies every `CLASSICD_*` variable to a copy of `tree`; returns the new tree and what it set. */
export function applyEnvOverrides(
  tree: Tree,
  env: Readonly<Record<string, string | undefined>>,
): { tree: Tree; applied: EnvOverride[] } {
  const result = structuredClone(tree);
  const applied: EnvOverride[] = [];
  const variables = Object.keys(env)
    .filter((name) => name.startsWith(ENV_PREFIX) && !RESERVED.has(name))
    .sort();
  for (const variable of variables) {
    const raw = env[variable];
    if (raw === undefined) continue;
    const segments = variable.slice(ENV_PREFIX.length).split('__').filter(Boolean);
    if (segments.length === 0) continue;
    const path = setPath(result, segments, parseValue(raw));
    applied.push({ variable, path, value: raw });
  }
  return { tree: result, applied };
}

function setPath(tree: Tree, segments: readonly string[], value: unknown): string[] {
  const path: string[] = [];
  let node = tree;
  segments.forEach((segment, index) => {
    const key = matchKey(node, segment);
    path.push(key);
    if (index === segments.length - 1) {
      node[key] = value;
      return;
    }
    const child = node[key];
    if (!isTree(child)) node[key] = {};
    node = node[key] as Tree;
  });
  return path;
}

/** The existing key that the segment names, ignoring case; else the segment as written, lower-cased. */
function matchKey(node: Tree, segment: string): string {
  const wanted = segment.toLowerCase();
  return Object.keys(node).find((key) => key.toLowerCase() === wanted) ?? wanted;
}

function parseValue(raw: string): unknown {
  try {
    return parseYaml(raw) ?? raw;
  } catch {
    return raw;
  }
}
