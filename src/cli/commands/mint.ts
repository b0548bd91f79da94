import type { Command } from '../command.js';
import { HarnessError } from '../../errors.js';

// Placeholder until the mint command lands; replaced by its owner.
const command: Command = {
  summary: 'mint',
  help: 'Usage: clerk-harness mint',
  async run() {
    throw new HarnessError('USAGE', 'mint is not available in this build yet');
  },
};
export default command;
