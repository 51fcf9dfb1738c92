/**
 * Directory listings: LIST and NLST (RFC 959 4.1.3), MLSD and MLST (RFC 3659 section 7).
 *
 * LIST, NLST and MLSD answer over the data connection through startDownload, always as TYPE A
 * (RFC 959 4.1.3: listings are ASCII; RFC 3659 7.2 for MLSD), with a source that reads the directory
 * a batch at a time as the client reads. Every check that can refuse (no such path, 550 for deny
 * globs and the anonymous drop box, 501 for MLSD of a file) runs before the 150. MLST answers on the
 * control connection. Names are UTF-8 (RFC 2640), or their own bytes where they are not
 * (line-stream.ts, reply.ts).
 */
import { startDownload } from '../data/transfer.js';
import { linesToReadable } from '../fs/line-stream.js';
import { lsLines, nameLines, planListing, type ListingPlan } from '../fs/listing.js';
import { mlsdLines, mlstReply, planMachineListing } from '../fs/machine-listing.js';
import { mlstFeature } from '../fs/mlsx-format.js';
import type { CommandSpec } from './command-spec.js';

function listed(plan: ListingPlan): string {
  return plan.kind === 'directory' ? plan.directory.virtual : plan.target.virtual;
}

const LIST: CommandSpec = {
  verb: 'LIST',
  syntax: 'LIST [<sp> [-options] pathname]',
  help: 'List a directory (or one file) in ls -l format over the data connection.',
  access: 'login',
  async handler(session, argument) {
    const plan = await planListing(session, argument);
    startDownload(session, {
      description: `LIST ${listed(plan)}`,
      openingText: 'Here comes the directory listing.',
      type: 'A',
      content: async () => linesToReadable(lsLines(session, plan)),
    });
  },
};

const NLST: CommandSpec = {
  verb: 'NLST',
  syntax: 'NLST [<sp> [-options] pathname]',
  help: 'List names only over the data connection.',
  access: 'login',
  async handler(session, argument) {
    const plan = await planListing(session, argument);
    startDownload(session, {
      description: `NLST ${listed(plan)}`,
      openingText: 'Here comes the directory listing.',
      type: 'A',
      content: async () => linesToReadable(nameLines(session, plan)),
    });
  },
};

const MLSD: CommandSpec = {
  verb: 'MLSD',
  syntax: 'MLSD [<sp> pathname]',
  help: 'List a directory in the RFC 3659 machine format over the data connection.',
  access: 'login',
  async handler(session, argument) {
    const directory = await planMachineListing(session, argument);
    startDownload(session, {
      description: `MLSD ${directory.virtual}`,
      openingText: 'Here comes the directory listing.',
      type: 'A',
      content: async () => linesToReadable(mlsdLines(session, directory)),
    });
  },
};

const MLST: CommandSpec = {
  verb: 'MLST',
  syntax: 'MLST [<sp> pathname]',
  help: 'Show the facts of one file or directory (RFC 3659).',
  access: 'login',
  // RFC 3659 7.8: the facts offered, with `*` on those OPTS MLST has selected.
  feature: (session) => mlstFeature(session.mlstFacts),
  async handler(session, argument) {
    await session.reply(250, await mlstReply(session, argument));
  },
};

export const listingCommands: readonly CommandSpec[] = [LIST, NLST, MLSD, MLST];
