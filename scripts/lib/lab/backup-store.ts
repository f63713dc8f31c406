// The lab's backup destination (`lab up` calls ensureBackupStore; scripts/lab-backup-store.ts runs it
// alone): builds SeaweedFS's `weed` from the Go module proxy once (cached in
// ${VMHA_CACHE_DIR:-~/.cache/vmha}/artifacts/seaweedfs/<version>/ with its sha256, verified on
// every use), creates the lab host backup-s3 when it is missing (as `lab up` creates the others),
// and runs `weed mini` there as a systemd unit with the S3 identity of the lab inventory
// (access key labBackupStore.accessKeyId, secret vault_vmha_backup_s3_secret_access_key).
// Quick when everything is in place: the binary is copied and the unit restarted only on changes.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { $, sleep } from 'zx';
import { s3Config, seaweedfsCacheDir, seaweedfsPin, weedBinaryPath, weedBuildArgs, weedConfigDir, weedUnit } from '../backup-store.js';
import { labInventoryFiles, parsePartialLabSecrets } from '../lab-inventory.js';
import { labBackupStore } from '../lab-topology.js';
import { inventoryDir, log as labLog } from './common.js';
import { ensureHost, waitForSystemd } from './containers.js';
import { ensureImage } from './image.js';

$.verbose = false;
const log = (message: string): void => labLog(`backup store: ${message}`);
const cacheRoot = path.join(process.env.VMHA_CACHE_DIR || path.join(os.homedir(), '.cache/vmha'), 'artifacts');
const host = labBackupStore.host.name;

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The cached weed binary, built when missing; refused when it does not match its recorded sha256. */
async function weedBinary(): Promise<{ file: string; sha256: string }> {
  const dir = seaweedfsCacheDir(cacheRoot);
  const file = path.join(dir, 'weed');
  const sums = path.join(dir, 'sha256sums.txt');
  const present = await fsp.access(file).then(() => true, () => false);
  if (present) {
    const want = (await fsp.readFile(sums, 'utf8').catch(() => '')).split(/\s+/)[0] ?? '';
    const have = await sha256File(file);
    if (have !== want) throw new Error(`${file}: sha256 ${have} does not match ${want || '(none)'} in ${sums}; remove ${dir} to rebuild`);
    return { file, sha256: have };
  }
  const started = Date.now();
  log(`building weed from ${seaweedfsPin.module}@${seaweedfsPin.moduleVersion} (takes minutes once)`);
  const download = await $`go mod download -json ${`${seaweedfsPin.module}@${seaweedfsPin.moduleVersion}`}`;
  const module = JSON.parse(download.stdout) as { Dir: string; Sum: string };
  if (module.Sum !== seaweedfsPin.moduleSum) throw new Error(`module sum ${module.Sum} is not the pinned ${seaweedfsPin.moduleSum}`);
  const work = await fsp.mkdtemp(path.join(os.tmpdir(), 'vmha-weed-'));
  try {
    const src = path.join(work, 'src');
    await fsp.cp(module.Dir, src, { recursive: true });
    await $`chmod -R u+w ${src}`;
    await fsp.mkdir(dir, { recursive: true });
    const out = path.join(work, 'weed');
    await $({ cwd: src, env: { ...process.env, GOFLAGS: '-mod=mod', CGO_ENABLED: '0', GOOS: 'linux', GOARCH: 'amd64' } })`go build ${weedBuildArgs(out)}`;
    const sha256 = await sha256File(out);
    await fsp.copyFile(out, `${file}.tmp`);
    await fsp.rename(`${file}.tmp`, file);
    await fsp.writeFile(sums, `${sha256}  weed\n`);
    log(`built weed ${seaweedfsPin.version} in ${Math.round((Date.now() - started) / 1000)} s (sha256 ${sha256})`);
    return { file, sha256 };
  } finally {
    await fsp.rm(work, { recursive: true, force: true });
  }
}

async function onStore(command: string): Promise<string> {
  return (await $`docker exec ${host} sh -c ${command}`).stdout;
}

/** Builds (once), installs and runs the lab's S3 server; quick when nothing changed. */
export async function ensureBackupStore(): Promise<void> {
  const secretsFile = path.join(inventoryDir, labInventoryFiles.secrets);
  const secret = parsePartialLabSecrets(await fsp.readFile(secretsFile, 'utf8'), secretsFile).vmha_backup_s3_secret_access_key;
  if (!secret) throw new Error(`${secretsFile} has no vault_vmha_backup_s3_secret_access_key: run npm run lab -- inventory`);
  const weed = await weedBinary();

  const image = await ensureImage();
  await ensureHost(labBackupStore.host, image);
  await waitForSystemd([labBackupStore.host]);

  let changed = false;
  const installed = (await $({ nothrow: true, quiet: true })`docker exec ${host} sha256sum ${weedBinaryPath}`).stdout.split(/\s+/)[0];
  if (installed !== weed.sha256) {
    log(`installing weed ${seaweedfsPin.version} on ${host}`);
    await $`docker cp ${weed.file} ${host}:${weedBinaryPath}`;
    await onStore(`chown root:root ${weedBinaryPath} && chmod 0755 ${weedBinaryPath}`);
    changed = true;
  }
  await onStore('id seaweedfs >/dev/null 2>&1 || useradd --system --shell /usr/sbin/nologin --home-dir /nonexistent --no-create-home seaweedfs');
  const files: [string, string, string][] = [
    [`${weedConfigDir}/s3.json`, s3Config(labBackupStore.accessKeyId, secret), 'root:seaweedfs 0640'],
    ['/etc/systemd/system/seaweedfs.service', weedUnit(labBackupStore.host.address, labBackupStore.s3Port, labBackupStore.bucket), 'root:root 0644'],
  ];
  await onStore(`mkdir -p ${weedConfigDir} && chmod 0755 ${weedConfigDir}`);
  for (const [target, content, mode] of files) {
    const current = (await $({ nothrow: true, quiet: true })`docker exec ${host} cat ${target}`).stdout;
    if (current === content) continue;
    const local = path.join(await fsp.mkdtemp(path.join(os.tmpdir(), 'vmha-store-')), path.basename(target));
    await fsp.writeFile(local, content, { mode: 0o600 });
    await $`docker cp ${local} ${host}:${target}`;
    await fsp.rm(path.dirname(local), { recursive: true, force: true });
    const [owner, perms] = mode.split(' ');
    await onStore(`chown ${owner} ${target} && chmod ${perms} ${target}`);
    changed = true;
  }
  await onStore('systemctl daemon-reload && systemctl enable seaweedfs.service >/dev/null 2>&1');
  await onStore(changed ? 'systemctl restart seaweedfs.service' : 'systemctl start seaweedfs.service');
  // Ready when the S3 port answers (403 without credentials is an answer) and the bucket exists.
  const url = `http://${labBackupStore.host.address}:${labBackupStore.s3Port}/`;
  for (let i = 0; i < 120; i++) {
    const code = (await $({ nothrow: true, quiet: true })`docker exec ${host} curl -s -o /dev/null -w %{http_code} --max-time 2 ${url}`).stdout.trim();
    if (code !== '' && code !== '000') {
      log(`${host} (${labBackupStore.host.address}): SeaweedFS ${seaweedfsPin.version} S3 on port ${labBackupStore.s3Port}, bucket ${labBackupStore.bucket} (answer ${code})`);
      return;
    }
    await sleep(1000);
  }
  throw new Error(`SeaweedFS on ${host} does not answer on ${url}; see docker exec ${host} journalctl -u seaweedfs`);
}
