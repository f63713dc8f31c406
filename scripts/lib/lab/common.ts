// What every part of the lab CLI shares: its paths, its log line, its error type and the docker call.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { $, ProcessOutput } from 'zx';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const labDir = path.join(repoRoot, '.lab');
export const inventoryDir = path.join(labDir, 'inventory');
export const tlsDir = path.join(labDir, 'tls');

export const log = (msg: string) => console.error(`lab: ${msg}`);

/** A failure the lab explains in its own words (printed without a stack). */
export class LabError extends Error {}

/** Runs docker; on failure throws with the command and docker's own message. */
export async function docker(...args: string[]): Promise<string> {
  try {
    return (await $({ quiet: true })`docker ${args}`).stdout.trim();
  } catch (err) {
    const detail = err instanceof ProcessOutput ? err.stderr.trim() || err.stdout.trim() : String(err);
    throw new LabError(`docker ${args.slice(0, 3).join(' ')} ... failed: ${detail}`);
  }
}

export async function dockerOk(...args: string[]): Promise<boolean> {
  return (await $({ nothrow: true, quiet: true })`docker ${args}`).exitCode === 0;
}

export function elapsed(start: number): string {
  return `${((Date.now() - start) / 1000).toFixed(1)} s`;
}
