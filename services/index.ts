/** Every service classicd knows, in the order they start. */
import type { ServiceDefinition } from '../shared/service.js';
import { chargenService } from './chargen/index.js';
import { daytimeService } from './daytime/index.js';
import { discardService } from './discard/index.js';
import { echoService } from './echo/index.js';
import { ftpService } from './ftp/index.js';
import { qotdService } from './qotd/index.js';
import { timeService } from './time/index.js';

// The inetd small services, by standard port.
export const SERVICES: readonly ServiceDefinition[] = [
  echoService,
  discardService,
  daytimeService,
  qotdService,
  chargenService,
  timeService,
  // The big protocols.
  ftpService,
];
