import type { Command } from '../command.js';
import { HarnessError } from '../../errors.js';

// Placeholder until the emulator command lands; replaced by its owner.
const command: Command = {
  summary: 'emulator',
  help: 'Usage: clerk-harness emulator',
  async run() {
    throw new HarnessError('USAGE', 'emulator is not available in this build yet');
  },
};
export default command;
