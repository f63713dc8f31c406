// Fills the artifact mirror (`scripts/artifacts.ts --json`) for the commands that need it before
// they deploy or test: the lab, the test runner and the deploy benchmark. It reports what the
// mirror holds; each caller decides what a missing cluster tarball means for it.
import { $, path } from 'zx';
import { EXIT_OK, EXIT_SOME_UNAVAILABLE, type ArtifactResult } from './artifacts.js';

const repoRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..');

export interface MirrorFill {
  exitCode: number;
  stderr: string;
  /** The run finished and printed its results: everything obtainable is in the mirror, verified. */
  usable: boolean;
  results: ArtifactResult[];
  /** The cluster tarball's result when no source had it. */
  missingCluster: ArtifactResult | undefined;
}

export async function fillMirror(env: NodeJS.ProcessEnv = process.env): Promise<MirrorFill> {
  // vmbackup and vmrestore always: every lab and CI deploy schedules backups (measured: the first
  // build of both takes about 7 minutes, mostly fetching the cloud SDK modules; then the cache holds them).
  const run = await $({ cwd: repoRoot, env, nothrow: true })`node --import ./scripts/register-ts.mjs scripts/artifacts.ts --json --with-backup-tools`;
  const exitCode = run.exitCode ?? 1;
  let results: ArtifactResult[] | undefined;
  try {
    results = JSON.parse(run.stdout) as ArtifactResult[];
  } catch {
    results = undefined;
  }
  const cluster = results?.find((result) => result.id === 'vm-cluster');
  return {
    exitCode,
    stderr: run.stderr,
    usable: results !== undefined && (exitCode === EXIT_OK || exitCode === EXIT_SOME_UNAVAILABLE),
    results: results ?? [],
    missingCluster: cluster?.source === 'missing' ? cluster : undefined,
  };
}
