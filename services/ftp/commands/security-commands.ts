import type { CommandSpec } from './command-spec.js';

export const securityCommands: readonly CommandSpec[] = [];
