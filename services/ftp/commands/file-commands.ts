import type { CommandSpec } from './command-spec.js';

export const fileCommands: readonly CommandSpec[] = [];
