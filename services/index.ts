/** Every service classicd knows, in the order they start. */
import type { ServiceDefinition } from '../shared/service.js';
import { daytimeService } from './daytime/index.js';

export const SERVICES: readonly ServiceDefinition[] = [daytimeService];
