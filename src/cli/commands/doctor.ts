import type { Command } from '../command.js';
import { HarnessError } from '../../errors.js';

// Placeholder until the doctor command lands; replaced by its owner.
const command: Command = {
  summary: 'doctor',
  help: 'Usage: clerk-harness doctor',
  async run() {
    throw new HarnessError('USAGE', 'doctor is not available in this build yet');
  },
};
export default command;
