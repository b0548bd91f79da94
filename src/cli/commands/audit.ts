import type { Command } from '../command.js';
import { HarnessError } from '../../errors.js';

// Placeholder until the audit command lands; replaced by its owner.
const command: Command = {
  summary: 'audit',
  help: 'Usage: clerk-harness audit',
  async run() {
    throw new HarnessError('USAGE', 'audit is not available in this build yet');
  },
};
export default command;
