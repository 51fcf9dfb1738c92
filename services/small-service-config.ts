/** The config shape the inetd small services share: the common keys plus the UDP guard. */
import { z } from 'zod';
import { commonServiceShape, udpGuardSchema } from '../shared/config/service-limits.js';

export const smallServiceShape = { ...commonServiceShape, udp: udpGuardSchema };
export const smallServiceSchema = z.strictObject(smallServiceShape);
export type SmallServiceConfig = z.infer<typeof smallServiceSchema>;
