import type { CommandSpec } from './command-spec.js';

export const transferCommands: readonly CommandSpec[] = [];
