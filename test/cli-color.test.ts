/** The one colour policy (src/cli/output.ts) every command and vitest's part of `run` follow. */
import { describe, expect, it } from 'vitest';
import { colorEnvironment, useColor } from '../src/cli/output.js';

const tty = { isTTY: true } as unknown as NodeJS.WritableStream;
const pipe = { isTTY: false } as unknown as NodeJS.WritableStream;

describe('colour policy', () => {
  it.each([
    ['a terminal', tty, {}, undefined, true],
    ['a pipe', pipe, {}, undefined, false],
    ['--no-color beats FORCE_COLOR', tty, { FORCE_COLOR: '1' }, false, false],
    ['NO_COLOR', tty, { NO_COLOR: '1' }, undefined, false],
    ['an empty NO_COLOR is unset (no-color.org)', tty, { NO_COLOR: '' }, undefined, true],
    ['FORCE_COLOR on a pipe', pipe, { FORCE_COLOR: '1' }, undefined, true],
    ['FORCE_COLOR=0', tty, { FORCE_COLOR: '0' }, undefined, true],
    ['CI', tty, { CI: 'true' }, undefined, false],
    ['TERM=dumb', tty, { TERM: 'dumb' }, undefined, false],
  ])('%s', (_name, stream, env, flag, expected) => {
    expect(useColor(stream, env as NodeJS.ProcessEnv, flag)).toBe(expected);
  });

  it('tells vitest (tinyrainbow: NO_COLOR present, or FORCE_COLOR) the same decision', () => {
    expect(colorEnvironment(false)).toEqual({ NO_COLOR: '1', FORCE_COLOR: undefined });
    expect(colorEnvironment(true)).toEqual({ NO_COLOR: undefined, FORCE_COLOR: '1' });
  });
});
