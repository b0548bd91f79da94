/**
 * The one colour policy of every command's output, vitest's part of `run` included:
 *   --no-color             never
 *   NO_COLOR (non-empty)   never (https://no-color.org)
 *   FORCE_COLOR (not "0")  always
 *   TERM=dumb, or CI set   never
 *   otherwise              when the stream is a terminal
 */
export function useColor(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv = process.env, flag?: boolean): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  if (env.TERM === 'dumb' || env.CI) return false;
  return Boolean((stream as NodeJS.WriteStream).isTTY);
}

/**
 * The variables that make vitest (tinyrainbow, which decides once, when it is first imported, and
 * colours pipes unless told otherwise) follow the decision above. Set them in the environment
 * before vitest is imported; forked workers inherit them.
 */
export function colorEnvironment(enabled: boolean): { NO_COLOR?: string; FORCE_COLOR?: string } {
  return enabled ? { NO_COLOR: undefined, FORCE_COLOR: '1' } : { NO_COLOR: '1', FORCE_COLOR: undefined };
}

export interface Paint {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
  bold(s: string): string;
}

export function paint(enabled: boolean): Paint {
  const wrap = (open: number, close: number) => (s: string) => (enabled ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return { red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
}
