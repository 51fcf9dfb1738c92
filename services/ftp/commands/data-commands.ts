import type { CommandSpec } from './command-spec.js';

export const dataCommands: readonly CommandSpec[] = [];
