import type { Command } from '../command.js';
import { HarnessError } from '../../errors.js';

// Placeholder until the run command lands; replaced by its owner.
const command: Command = {
  summary: 'run',
  help: 'Usage: clerk-harness run',
  async run() {
    throw new HarnessError('USAGE', 'run is not available in this build yet');
  },
};
export default command;
