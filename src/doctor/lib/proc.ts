/**
 * Which local process listens on a TCP port, and when it started (Linux). Reads /proc/net/tcp{,6}
 * for the listening socket's inode, then /proc/<pid>/fd for the process holding it; falls back to
 * `ss -ltnpH` when /proc fds are not readable (other users' processes).
 */
import { readdir, readFile, readlink } from 'node:fs/promises';


export interface ListeningProcess {
  pid: number;
  /** Start time, epoch ms (10 ms resolution). */
  startedAtMs: number;
  command: string;
}

export type ProcLookup = { ok: true; processes: ListeningProcess[] } | { ok: false; reason: string };

const LISTEN = '0A';

/** Socket inodes listening on `port` (IPv4 and IPv6 tables). */
export async function listeningInodes(port: number, procRoot = '/proc'): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const table of ['net/tcp', 'net/tcp6']) {
    let text: string;
    try {
      text = await readFile(`${procRoot}/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      const localPort = parseInt(cols[1].split(':')[1] ?? '', 16);
      if (localPort === port && cols[3] === LISTEN) inodes.add(cols[9]);
    }
  }
  return inodes;
}

async function pidsHolding(inodes: Set<string>, procRoot: string): Promise<number[]> {
  const pids: number[] = [];
  const wanted = new Set([...inodes].map((i) => `socket:[${i}]`));
  for (const entry of await readdir(procRoot)) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = await readdir(`${procRoot}/${entry}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      const target = await readlink(`${procRoot}/${entry}/fd/${fd}`).catch(() => '');
      if (wanted.has(target)) {
        pids.push(Number(entry));
        break;
      }
    }
  }
  return pids;
}

/** zx for the shell work (Linux only, where bash is), loaded when doctor first needs it. */
async function shell() {
  const { $ } = await import('zx');
  return $({ quiet: true, nothrow: true, timeout: '3s' });
}

async function pidsFromSs(port: number): Promise<number[]> {
  try {
    const sh = await shell();
    const { stdout } = await sh`ss -ltnpH ${`sport = :${port}`}`;
    return [...new Set([...stdout.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])))];
  } catch {
    return [];
  }
}

let ticksPerSecond: number | undefined;
async function clockTicks(): Promise<number> {
  if (ticksPerSecond) return ticksPerSecond;
  try {
    const sh = await shell();
    const { stdout } = await sh`getconf CLK_TCK`;
    ticksPerSecond = Number(stdout.trim()) || 100;
  } catch {
    ticksPerSecond = 100;
  }
  return ticksPerSecond;
}

/** Start time of a process, epoch ms: boot time (now - uptime) + starttime ticks. */
export async function processStart(pid: number, procRoot = '/proc', now = Date.now): Promise<ListeningProcess | undefined> {
  try {
    const [stat, uptime, cmdline] = await Promise.all([
      readFile(`${procRoot}/${pid}/stat`, 'utf8'),
      readFile(`${procRoot}/uptime`, 'utf8'),
      readFile(`${procRoot}/${pid}/cmdline`, 'utf8').catch(() => ''),
    ]);
    // Field 2 (comm) is in parentheses and may contain spaces: split after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(fields[19]); // field 22 overall
    const bootMs = now() - Number(uptime.split(' ')[0]) * 1000;
    const startedAtMs = bootMs + (startTicks / (await clockTicks())) * 1000;
    const command = cmdline.split('\0').filter(Boolean).join(' ') || stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    return { pid, startedAtMs, command };
  } catch {
    return undefined;
  }
}

export async function findListeningProcess(port: number, options: { procRoot?: string; platform?: NodeJS.Platform } = {}): Promise<ProcLookup> {
  const procRoot = options.procRoot ?? '/proc';
  if ((options.platform ?? process.platform) !== 'linux') return { ok: false, reason: 'process lookup reads /proc and works on Linux only' };
  const inodes = await listeningInodes(port, procRoot);
  if (inodes.size === 0) return { ok: false, reason: `no listening socket on port ${port} in ${procRoot}/net/tcp (another network namespace or container?)` };
  let pids = await pidsHolding(inodes, procRoot);
  if (pids.length === 0) pids = await pidsFromSs(port);
  if (pids.length === 0) return { ok: false, reason: 'the socket belongs to a process this user cannot inspect (run doctor as the same user, or with sudo)' };
  const processes = (await Promise.all(pids.map((p) => processStart(p, procRoot)))).filter((p): p is ListeningProcess => !!p);
  if (processes.length === 0) return { ok: false, reason: 'the listening process exited while doctor looked at it' };
  processes.sort((a, b) => a.startedAtMs - b.startedAtMs);
  return { ok: true, processes };
}
