import type { Command } from '../command.js';
import { HarnessError } from '../../errors.js';

// Placeholder until the templates command lands; replaced by its owner.
const command: Command = {
  summary: 'templates',
  help: 'Usage: clerk-harness templates',
  async run() {
    throw new HarnessError('USAGE', 'templates is not available in this build yet');
  },
};
export default command;
