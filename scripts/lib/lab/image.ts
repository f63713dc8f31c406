// The lab's base image: tagged by a hash of its recipe (scripts/lab-image/), built only when missing.
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { $ } from 'zx';
import { labImageTag } from '../lab-topology.js';
import { dockerOk, elapsed, LabError, log, repoRoot } from './common.js';

const imageRecipeDir = path.join(repoRoot, 'scripts', 'lab-image');

async function imageTag(): Promise<string> {
  const names = (await fsp.readdir(imageRecipeDir)).filter((n) => !n.startsWith('.'));
  const recipe = await Promise.all(
    names.map(async (name) => ({ name, content: await fsp.readFile(path.join(imageRecipeDir, name), 'utf8') })),
  );
  return labImageTag(recipe);
}

export async function ensureImage(): Promise<string> {
  const tag = await imageTag();
  if (await dockerOk('image', 'inspect', tag)) return tag;
  const start = Date.now();
  log(`building base image ${tag} (debootstrap, about a minute)`);
  const build = await $({ nothrow: true, quiet: true })`bash ${path.join(imageRecipeDir, 'build.sh')} ${tag}`;
  if (build.exitCode !== 0) {
    throw new LabError(`building the base image failed:\n${build.stderr.trim() || build.stdout.trim()}`);
  }
  log(`built ${tag} in ${elapsed(start)}`);
  return tag;
}
