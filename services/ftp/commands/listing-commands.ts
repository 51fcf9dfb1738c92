import type { CommandSpec } from './command-spec.js';

export const listingCommands: readonly CommandSpec[] = [];
