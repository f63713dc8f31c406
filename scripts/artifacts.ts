// npm run artifacts [-- --json] [--verify-only] [--with-backup-tools] [--no-official] [--no-build]
//
// Fills the lab mirror .cache/mirror/ with the release tarballs pinned in ansible/versions.yml,
// laid out like the official releases (<product>/v<version>/<file> plus the checksum file).
// Each artifact comes from the first source that has it:
//   1. the cache ${VMHA_CACHE_DIR:-$HOME/.cache/vmha}/artifacts/ (same layout; verified first)
//   2. an offline mirror directory, read-only: $VMHA_OFFLINE_MIRROR, else ../shared/artifacts
//      beside the repository when it exists (how air-gapped sites feed the mirror)
//   3. the official release URL (5 s connect timeout)
//   4. a build from the Go module proxy with the official build flags
// Whatever is downloaded or built lands in the cache, so the next run (or clone) is instant.
// Exit codes: 0 all present and verified, 3 some artifacts unavailable (the rest is in the
// mirror), 1 a checksum failed or an unexpected error, 2 bad usage.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { $ } from 'zx';
import { parseCli } from './lib/cli.js';
import { Progress } from './lib/progress.js';
import {
  type ArtifactResult,
  type ArtifactSpec,
  type ChecksumEntry,
  type Source,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_SOME_UNAVAILABLE,
  VMUTILS_BACKUP_APPS,
  artifactSpecs,
  exitCodeFor,
  expectedDigest,
  formatChecksumFile,
  missingMembers,
  missingMessage,
  nodeExporterLdflags,
  offlineMirrorDir,
  promuLdflags,
  alertmanagerTarDir,
  nodeExporterTarDir,
  parseChecksumFile,
  parseVersions,
  prodBinary,
  sourceOrder,
  vmBuildInfoVersion,
  vmLdflags,
} from './lib/artifacts.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = `usage: npm run artifacts -- [--json] [--verify-only] [--with-backup-tools] [--no-official] [--no-build] [--mirror DIR]
  --json               print one JSON object per artifact {id, file, source, sha256, reason, seconds} (as an array)
  --verify-only        only verify what is in the mirror against its checksum files
  --with-backup-tools  also build vmbackup and vmrestore into vmutils (cloud SDKs: slow to build)
  --no-official        do not try the official release URLs
  --no-build           do not build from the Go module proxy
  --mirror DIR         mirror root (default .cache/mirror)
  --versions FILE      pins and release URLs (default ansible/versions.yml; another file can point at a site mirror)`;

interface Options {
  json: boolean;
  verifyOnly: boolean;
  withBackupTools: boolean;
  noOfficial: boolean;
  noBuild: boolean;
  mirrorRoot: string;
  versionsFile: string;
}

function parseOptions(): Options {
  const { values } = parseCli('artifacts', USAGE, {
    options: {
      json: { type: 'boolean', default: false },
      'verify-only': { type: 'boolean', default: false },
      'with-backup-tools': { type: 'boolean', default: false },
      'no-official': { type: 'boolean', default: false },
      'no-build': { type: 'boolean', default: false },
      mirror: { type: 'string', default: path.join(repoRoot, '.cache/mirror') },
      versions: { type: 'string', default: path.join(repoRoot, 'ansible/versions.yml') },
      help: { type: 'boolean', short: 'h' },
    },
  });
  return {
    json: values.json,
    verifyOnly: values['verify-only'],
    withBackupTools: values['with-backup-tools'],
    noOfficial: values['no-official'],
    noBuild: values['no-build'],
    mirrorRoot: path.resolve(values.mirror),
    versionsFile: path.resolve(values.versions),
  };
}

const opts = parseOptions();
const cacheRoot = path.join(process.env.VMHA_CACHE_DIR || path.join(os.homedir(), '.cache/vmha'), 'artifacts');
// Human progress goes to stderr so that --json output on stdout stays machine-readable.
const log = (message: string): void => void process.stderr.write(`artifacts: ${message}\n`);
const sh = $({ quiet: true, verbose: false });


// ---------------------------------------------------------------------------------------------
// Small file helpers

async function exists(file: string): Promise<boolean> {
  return fsp.access(file).then(
    () => true,
    () => false,
  );
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** sha256 of one tarball member, streamed through `tar -xzO` (no temp files). */
function sha256TarMember(tarball: string, member: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-xzOf', tarball, member], { stdio: ['ignore', 'pipe', 'pipe'] });
    const hash = createHash('sha256');
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => hash.update(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(hash.digest('hex')) : reject(new Error(`tar -xzOf ${tarball} ${member} failed: ${stderr.trim()}`)),
    );
  });
}

async function tarListing(tarball: string): Promise<string[]> {
  const out = await sh`tar -tzf ${tarball}`.nothrow();
  if (out.exitCode !== 0) throw new Error(`${tarball} is not a readable .tar.gz: ${firstLine(out.stderr)}`);
  return out.stdout.split('\n').filter((line) => line !== '');
}

/** Copies via a temp name and rename, so readers (and concurrent runs) never see half a file. */
async function atomicCopy(from: string, to: string): Promise<void> {
  await fsp.mkdir(path.dirname(to), { recursive: true });
  const tmp = `${to}.tmp-${process.pid}`;
  await fsp.copyFile(from, tmp);
  await fsp.rename(tmp, to);
}

function firstLine(text: string): string {
  return text.trim().split('\n').find((line) => line.trim() !== '')?.trim() ?? '(no output)';
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ---------------------------------------------------------------------------------------------
// Checking a release directory (cache, download dir or mirror)

/**
 * Checks `<dir>/<tarball>` against `<dir>/<checksum file>` and that it holds the required
 * members; returns the tarball digest. Throws saying what is wrong.
 */
async function checkRelease(spec: ArtifactSpec, dir: string): Promise<string> {
  const tarball = path.join(dir, spec.tarball);
  const sums = path.join(dir, spec.checksumFile);
  if (!(await exists(tarball))) throw new Error(`${tarball} not present`);
  if (!(await exists(sums))) throw new Error(`${sums} not present`);
  const entries = parseChecksumFile(await fsp.readFile(sums, 'utf8'), sums);
  const want = expectedDigest(entries, spec.tarball, sums);
  const have = await sha256File(tarball);
  if (have !== want) throw new Error(`${tarball}: sha256 ${have} does not match ${want} in ${sums}`);
  const missing = missingMembers(spec.requiredMembers, await tarListing(tarball));
  if (missing.length > 0) throw new Error(`${tarball} lacks ${missing.join(', ')}`);
  return have;
}

/** Installs a checked release (tarball + checksum file) from `fromDir` into `toDir`. */
async function copyRelease(spec: ArtifactSpec, fromDir: string, toDir: string, sha256: string): Promise<void> {
  const target = path.join(toDir, spec.tarball);
  if (!((await exists(target)) && (await sha256File(target)) === sha256)) await atomicCopy(path.join(fromDir, spec.tarball), target);
  await atomicCopy(path.join(fromDir, spec.checksumFile), path.join(toDir, spec.checksumFile));
}

// ---------------------------------------------------------------------------------------------
// Sources

async function fromCache(spec: ArtifactSpec): Promise<{ dir: string; sha256: string }> {
  const dir = path.join(cacheRoot, spec.dir);
  return { dir, sha256: await checkRelease(spec, dir) };
}

const offlineRoot = offlineMirrorDir(process.env, repoRoot);

/** The offline mirror is only read: checked in place against its own checksum file, then copied. */
async function fromOffline(spec: ArtifactSpec): Promise<{ dir: string; sha256: string }> {
  if (offlineRoot === undefined) throw new Error('no offline mirror configured');
  const dir = path.join(offlineRoot, spec.dir);
  return { dir, sha256: await checkRelease(spec, dir) };
}

async function download(url: string, to: string): Promise<void> {
  const out = await sh`curl --fail --silent --show-error --location --connect-timeout 5 --max-time 900 -o ${to} ${url}`.nothrow();
  if (out.exitCode !== 0) throw new Error(`${url}: ${firstLine(out.stderr)}`);
}

async function fromOfficial(spec: ArtifactSpec, work: string): Promise<{ dir: string; sha256: string }> {
  const dir = path.join(work, 'official');
  await fsp.mkdir(dir, { recursive: true });
  // The small checksum file first: when the host is unreachable this fails within the connect timeout.
  await download(spec.officialChecksumUrl, path.join(dir, spec.checksumFile));
  await download(spec.officialTarballUrl, path.join(dir, spec.tarball));
  return { dir, sha256: await checkRelease(spec, dir) };
}

interface ModuleDownload {
  Dir?: string;
  Info?: string;
  Error?: string;
}

/** `go mod download -json`: the module's read-only source dir and its tag time. */
async function downloadModule(module: string, version: string): Promise<{ dir: string; time: Date }> {
  const out = await sh`go mod download -json ${`${module}@${version}`}`.nothrow();
  let parsed: ModuleDownload = {};
  try {
    parsed = JSON.parse(out.stdout) as ModuleDownload;
  } catch {
    // fall through: reported below with stderr
  }
  if (out.exitCode !== 0 || !parsed.Dir || !parsed.Info) {
    throw new Error(`Go module proxy has no ${module}@${version}: ${firstLine(parsed.Error ?? out.stderr)}`);
  }
  const info = JSON.parse(await fsp.readFile(parsed.Info, 'utf8')) as { Time?: string };
  return { dir: parsed.Dir, time: new Date(info.Time ?? 0) };
}

/** The module cache is read-only; builds need a writable copy (go.sum updates, build outputs). */
async function writableCopy(dir: string, work: string): Promise<string> {
  const src = path.join(work, 'src');
  await fsp.cp(dir, src, { recursive: true });
  await sh`chmod -R u+w ${src}`;
  return src;
}

async function goBuild(src: string, env: Record<string, string>, args: string[]): Promise<void> {
  const out = await $({ quiet: true, cwd: src, env: { ...process.env, GOFLAGS: '-mod=mod', GOOS: 'linux', GOARCH: 'amd64', ...env } })`go build ${args}`.nothrow();
  if (out.exitCode !== 0) throw new Error(`go build ${args.at(-1)} failed:\n${out.stderr.trim().split('\n').slice(-15).join('\n')}`);
}

/** Deterministic tar.gz: sorted names, fixed owner and mtime, no gzip timestamp. */
async function writeTarball(tarball: string, dir: string, members: string[], owner: number, mtime: Date): Promise<void> {
  const seconds = Math.floor(mtime.getTime() / 1000);
  const out = await sh`set -o pipefail; tar --sort=name --format=gnu --owner=${owner} --group=${owner} --numeric-owner --mtime=@${seconds} -C ${dir} -cf - ${members} | gzip -n > ${tarball}`.nothrow();
  if (out.exitCode !== 0) throw new Error(`creating ${tarball} failed: ${firstLine(out.stderr)}`);
}

async function hasCgoCompiler(): Promise<boolean> {
  return (await sh`command -v gcc`.nothrow()).exitCode === 0;
}

async function fromBuild(spec: ArtifactSpec, work: string): Promise<{ dir: string; sha256: string }> {
  if ((await sh`command -v go`.nothrow()).exitCode !== 0) throw new Error('go is not on PATH');
  const recipe = spec.build;
  const module = await downloadModule(recipe.module, recipe.moduleVersion);
  const dir = path.join(work, 'built');
  const stage = path.join(work, 'stage');
  await fsp.mkdir(dir, { recursive: true });
  await fsp.mkdir(stage, { recursive: true });
  log(`${spec.id}: building from ${recipe.module}@${recipe.moduleVersion} (Go build cache makes re-runs quick)`);
  const src = await writableCopy(module.dir, work);
  const tarball = path.join(dir, spec.tarball);
  const entries: ChecksumEntry[] = [];

  if (recipe.kind === 'victoriametrics') {
    // Official -prod builds: CGO on (cgo zstd), statically linked, netgo/osusergo, trimmed paths.
    const cgo = (await hasCgoCompiler()) ? '1' : '0';
    if (cgo === '0') log(`${spec.id}: no gcc found, building with CGO_ENABLED=0 (pure Go zstd)`);
    for (const app of recipe.apps) {
      const started = Date.now();
      const version = vmBuildInfoVersion(app, recipe.moduleVersion, module.time);
      await goBuild(src, { CGO_ENABLED: cgo }, [
        '-trimpath',
        '-buildvcs=false',
        '-ldflags',
        vmLdflags(recipe.module, version),
        '-tags',
        'netgo osusergo',
        '-o',
        path.join(stage, prodBinary(app)),
        `./app/${app}`,
      ]);
      log(`${spec.id}: built ${prodBinary(app)} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    const members = recipe.apps.map(prodBinary);
    await writeTarball(tarball, stage, members, 1000, module.time); // owner 1000 as the official Makefile
    entries.push({ sha256: await sha256File(tarball), file: spec.tarball });
    // Like the official checksum files: the tarball first, then every binary in it.
    for (const member of members) entries.push({ sha256: await sha256File(path.join(stage, member)), file: member });
  } else if (recipe.kind === 'alertmanager') {
    // promu's linux/amd64 build (.promu.yml): pure Go, netgo. The module source has no web UI
    // assets (ui/app/dist is built by npm/elm in the release pipeline and not part of the tag's
    // module), so a small page saying so is embedded instead; the API and amtool are complete.
    const topDir = alertmanagerTarDir(spec.version);
    await fsp.mkdir(path.join(stage, topDir), { recursive: true });
    const note = '<!doctype html><title>Alertmanager</title><p>Web UI not built: this Alertmanager was built from the Go module source, which has no UI assets. Use the API (/api/v2/) or amtool.</p>\n';
    for (const ui of ['elm', 'mantine']) {
      const uiDir = path.join(src, 'ui/app/dist', ui);
      if (await exists(path.join(uiDir, 'index.html'))) continue;
      await fsp.mkdir(uiDir, { recursive: true });
      await fsp.writeFile(path.join(uiDir, 'index.html'), note);
    }
    for (const binary of recipe.binaries) {
      const started = Date.now();
      await goBuild(src, { CGO_ENABLED: '0' }, [
        '-trimpath',
        '-buildvcs=false',
        '-ldflags',
        promuLdflags(spec.version, module.time),
        '-tags',
        'netgo',
        '-o',
        path.join(stage, topDir, binary),
        `./cmd/${binary}`,
      ]);
      log(`${spec.id}: built ${binary} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    for (const file of recipe.extraFiles) await fsp.copyFile(path.join(src, file), path.join(stage, topDir, path.basename(file)));
    await writeTarball(tarball, stage, [topDir], 0, module.time);
    entries.push({ sha256: await sha256File(tarball), file: spec.tarball });
  } else {
    const topDir = nodeExporterTarDir(spec.version);
    await fsp.mkdir(path.join(stage, topDir), { recursive: true });
    // promu's linux/amd64 build: pure Go, static.
    await goBuild(src, { CGO_ENABLED: '0' }, [
      '-trimpath',
      '-buildvcs=false',
      '-ldflags',
      nodeExporterLdflags(spec.version, module.time),
      '-tags',
      'netgo osusergo static_build',
      '-o',
      path.join(stage, topDir, 'node_exporter'),
      '.',
    ]);
    for (const file of recipe.extraFiles) await fsp.copyFile(path.join(src, file), path.join(stage, topDir, file));
    await writeTarball(tarball, stage, [topDir], 0, module.time);
    entries.push({ sha256: await sha256File(tarball), file: spec.tarball });
  }
  await fsp.writeFile(path.join(dir, spec.checksumFile), formatChecksumFile(entries));
  return { dir, sha256: await checkRelease(spec, dir) };
}

// ---------------------------------------------------------------------------------------------
// One artifact: sources in order, result into cache and mirror

async function obtain(spec: ArtifactSpec): Promise<ArtifactResult> {
  const started = Date.now();
  const attempts: { source: Source; reason: string }[] = [];
  const mirrorDir = path.join(opts.mirrorRoot, spec.dir);
  const file = path.join(spec.dir, spec.tarball);
  for (const source of sourceOrder({ offline: offlineRoot !== undefined && (await exists(offlineRoot)), noOfficial: opts.noOfficial, noBuild: opts.noBuild })) {
    const work = await fsp.mkdtemp(path.join(os.tmpdir(), `vmha-artifacts-${spec.id}-`));
    try {
      let got: { dir: string; sha256: string };
      try {
        got =
          source === 'cache' ? await fromCache(spec)
          : source === 'offline' ? await fromOffline(spec)
          : source === 'official' ? await fromOfficial(spec, work)
          : await fromBuild(spec, work);
      } catch (error) {
        // Any failure of a source (unreachable, bad checksum, failed build) moves on to the next one.
        attempts.push({ source, reason: errorText(error) });
        continue;
      }
      if (source !== 'cache') await copyRelease(spec, got.dir, path.join(cacheRoot, spec.dir), got.sha256);
      await copyRelease(spec, got.dir, mirrorDir, got.sha256);
      const reason = attempts.map((a) => `${a.source}: ${a.reason}`).join('; ');
      log(`${spec.id}: ${file} from ${source} (${seconds(started)} s)`);
      return { id: spec.id, file, source, sha256: got.sha256, reason, seconds: seconds(started) };
    } finally {
      await fsp.rm(work, { recursive: true, force: true });
    }
  }
  log(missingMessage(spec, attempts));
  log(`  (an operator can place the official ${spec.tarball} and ${spec.checksumFile} in ${path.join(cacheRoot, spec.dir)}/,`);
  log(`   or point VMHA_OFFLINE_MIRROR at a directory laid out like the release pages, and re-run)`);
  return { id: spec.id, file, source: 'missing', sha256: null, reason: attempts.map((a) => `${a.source}: ${a.reason}`).join('; '), seconds: seconds(started) };
}

function seconds(started: number): number {
  return Math.round((Date.now() - started) / 100) / 10;
}

// ---------------------------------------------------------------------------------------------
// Verification of the mirror

/**
 * Verifies every line of the checksum file whose file is in the mirror directory, plus the lines
 * naming tarball members (vmutils lists its binaries, like the official files). Lines naming
 * other platforms' files are skipped, as `sha256sum -c --ignore-missing` does.
 */
async function verifyMirrored(spec: ArtifactSpec): Promise<{ ok: boolean; present: boolean; detail: string }> {
  const dir = path.join(opts.mirrorRoot, spec.dir);
  const tarball = path.join(dir, spec.tarball);
  if (!(await exists(tarball))) return { ok: true, present: false, detail: 'not in the mirror' };
  try {
    await checkRelease(spec, dir);
    const sums = path.join(dir, spec.checksumFile);
    const entries = parseChecksumFile(await fsp.readFile(sums, 'utf8'), sums);
    const listing = new Set((await tarListing(tarball)).map((m) => m.replace(/^\.\//, '')));
    let checked = 0;
    for (const entry of entries) {
      let have: string | undefined;
      if (await exists(path.join(dir, entry.file))) have = await sha256File(path.join(dir, entry.file));
      else if (listing.has(entry.file)) have = await sha256TarMember(tarball, entry.file);
      if (have === undefined) continue;
      if (have !== entry.sha256) return { ok: false, present: true, detail: `${entry.file}: sha256 ${have}, ${sums} says ${entry.sha256}` };
      checked++;
    }
    return { ok: true, present: true, detail: `${checked} checksum(s) OK` };
  } catch (error) {
    return { ok: false, present: true, detail: errorText(error) };
  }
}

async function writeListing(specs: ArtifactSpec[], results: ArtifactResult[]): Promise<void> {
  const lines = [
    '# vmha lab artifact mirror, written by `npm run artifacts`; layout as the official releases.',
    '# <file> | <source> | <sha256>, then what the tarball holds',
  ];
  for (const spec of specs) {
    const result = results.find((r) => r.id === spec.id);
    lines.push(`${spec.dir}/${spec.tarball} | ${result?.source ?? '?'} | ${result?.sha256 ?? '-'}`);
    if (result?.source === 'missing') {
      lines.push(`  MISSING: ${result.reason}`);
      continue;
    }
    const members = (await tarListing(path.join(opts.mirrorRoot, spec.dir, spec.tarball))).filter((m) => !m.endsWith('/'));
    lines.push(`  contains: ${members.join(', ')}`);
    const absent = spec.id === 'vmutils' ? missingMembers(VMUTILS_BACKUP_APPS.map(prodBinary), members) : [];
    if (absent.length > 0) lines.push(`  note: without ${absent.join(', ')} (slow cloud-SDK builds); npm run artifacts -- --with-backup-tools adds them`);
  }
  await fsp.mkdir(opts.mirrorRoot, { recursive: true });
  await fsp.writeFile(path.join(opts.mirrorRoot, 'MIRROR.txt'), lines.join('\n') + '\n');
}

async function main(): Promise<number> {
  const versions = parseVersions(yaml.load(await fsp.readFile(opts.versionsFile, 'utf8')), opts.versionsFile);
  const specs = artifactSpecs(versions, { withBackupTools: opts.withBackupTools });
  const results: ArtifactResult[] = [];
  if (!opts.verifyOnly) {
    log(`mirror ${opts.mirrorRoot}, cache ${cacheRoot}`);
    const progress = new Progress({ label: 'artifacts', total: specs.length });
    for (const spec of specs) results.push(await progress.step(spec.title, () => obtain(spec), { streams: true }));
    await writeListing(specs, results);
  }

  let failed = false;
  const verified: { id: string; file: string; present: boolean; ok: boolean; sha256: string | null; detail: string }[] = [];
  for (const spec of specs) {
    const check = await verifyMirrored(spec);
    log(`verify ${spec.dir}/${spec.tarball}: ${check.ok ? (check.present ? 'OK' : 'absent') : 'FAILED'} (${check.detail})`);
    if (!check.ok) failed = true;
    const tarball = path.join(opts.mirrorRoot, spec.dir, spec.tarball);
    const sha256 = check.present && check.ok ? await sha256File(tarball) : null;
    verified.push({ id: spec.id, file: path.join(spec.dir, spec.tarball), present: check.present, ok: check.ok, sha256, detail: check.detail });
  }
  if (opts.json) console.log(JSON.stringify(opts.verifyOnly ? verified : results, null, 2));
  if (opts.verifyOnly) return failed ? EXIT_FAILURE : verified.some((v) => !v.present) ? EXIT_SOME_UNAVAILABLE : EXIT_OK;
  if (failed) return EXIT_FAILURE;
  const code = exitCodeFor(results);
  if (code === EXIT_SOME_UNAVAILABLE) log(`exit ${EXIT_SOME_UNAVAILABLE}: some artifacts are unavailable (listed above); everything else is in the mirror`);
  return code;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`ERROR: ${errorText(error)}`);
    process.exit(EXIT_FAILURE);
  },
);
