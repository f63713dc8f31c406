// The lab's artifact mirror: .cache/mirror/ served by python3 http.server on 127.0.0.1 (labMirrorUrl).
import { spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { labMirrorPort, labMirrorUrl } from '../lab-topology.js';
import { pollUntil } from '../poll.js';
import { labDir, LabError, log, repoRoot } from './common.js';

const mirrorDir = path.join(repoRoot, '.cache', 'mirror');
const mirrorPidFile = path.join(labDir, 'mirror.pid');

export async function mirrorAnswers(): Promise<boolean> {
  try {
    const res = await fetch(`${labMirrorUrl}/`, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

export async function ensureMirror(): Promise<void> {
  if (await mirrorAnswers()) return;
  await fsp.mkdir(mirrorDir, { recursive: true });
  await fsp.mkdir(labDir, { recursive: true });
  const logFd = openSync(path.join(labDir, 'mirror.log'), 'a');
  const child = spawn(
    'python3',
    ['-m', 'http.server', String(labMirrorPort), '--bind', '127.0.0.1', '--directory', mirrorDir],
    { detached: true, stdio: ['ignore', logFd, logFd] },
  );
  child.unref();
  await fsp.writeFile(mirrorPidFile, `${child.pid}\n`);
  if ((await pollUntil(mirrorAnswers, (up) => up, { everyMs: 100, attempts: 50 })).ok) {
    log(`mirror ${labMirrorUrl} serving ${path.relative(repoRoot, mirrorDir)}/ (pid ${child.pid})`);
    return;
  }
  throw new LabError(`the mirror server did not answer on ${labMirrorUrl} within 5 s (see .lab/mirror.log)`);
}

/** Stops the mirror only when the pid file points at our http.server. */
export async function stopMirror(): Promise<void> {
  if (!existsSync(mirrorPidFile)) return;
  const pid = Number((await fsp.readFile(mirrorPidFile, 'utf8')).trim());
  const cmdline = await fsp.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
  if (Number.isInteger(pid) && cmdline.includes('http.server') && cmdline.includes(String(labMirrorPort))) {
    process.kill(pid, 'SIGTERM');
    log(`stopped mirror server (pid ${pid})`);
  }
  await fsp.rm(mirrorPidFile, { force: true });
}
