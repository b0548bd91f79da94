import type { Command } from '../command.js';
import { HarnessError } from '../../errors.js';

// Placeholder until the target command lands; replaced by its owner.
const command: Command = {
  summary: 'target',
  help: 'Usage: clerk-harness target',
  async run() {
    throw new HarnessError('USAGE', 'target is not available in this build yet');
  },
};
export default command;
