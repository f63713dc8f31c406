// Pure logic of the artifact mirror (`npm run artifacts`): which release files exist, their
// official names and URLs, the sha256sum checksum format, and the order of the sources tried.
// No I/O here; scripts/artifacts.ts does the fetching, building and file handling.

/** The parsed `ansible/versions.yml`. */
export interface Versions {
  victoriametrics: ProductPin;
  node_exporter: ProductPin;
  /** Alertmanager of the HA alerting pair (optional: older versions files have no pin) */
  alertmanager?: ProductPin;
}

export interface ProductPin {
  /** e.g. "1.151.0" (no leading v) */
  version: string;
  /** base URL; files live at `<release_url>/v<version>/<file>` */
  release_url: string;
  /** Go module path the product is built from */
  go_module: string;
}

const SEMVER = /^\d+\.\d+\.\d+$/;

/** Checks the shape of versions.yml; `file` names the file in the error messages. */
export function parseVersions(doc: unknown, file: string): Versions {
  if (!isRecord(doc)) throw new Error(`${file}: expected a mapping at the top level`);
  const versions: Versions = {
    victoriametrics: parsePin(doc, 'victoriametrics', file),
    node_exporter: parsePin(doc, 'node_exporter', file),
  };
  if (doc.alertmanager !== undefined) versions.alertmanager = parsePin(doc, 'alertmanager', file);
  return versions;
}

function parsePin(doc: Record<string, unknown>, key: string, file: string): ProductPin {
  const pin = doc[key];
  if (!isRecord(pin)) throw new Error(`${file}: '${key}' must be a mapping with version, release_url, go_module`);
  const field = (name: string): string => {
    const value = pin[name];
    if (typeof value !== 'string' || value === '') throw new Error(`${file}: '${key}.${name}' must be a non-empty string`);
    return value;
  };
  const version = field('version');
  if (!SEMVER.test(version)) throw new Error(`${file}: '${key}.version' is '${version}', expected X.Y.Z without a leading v`);
  const releaseUrl = field('release_url');
  if (!/^https?:\/\//.test(releaseUrl)) throw new Error(`${file}: '${key}.release_url' is '${releaseUrl}', expected an http(s) URL`);
  return { version, release_url: releaseUrl.replace(/\/+$/, ''), go_module: field('go_module') };
}

/**
 * The offline mirror directory: `VMHA_OFFLINE_MIRROR` when set (an empty value turns it off),
 * else `../shared/artifacts` beside the repository. Laid out like the official release pages.
 */
export function offlineMirrorDir(env: Record<string, string | undefined>, repoRoot: string): string | undefined {
  const configured = env.VMHA_OFFLINE_MIRROR;
  if (configured !== undefined) return configured === '' ? undefined : configured;
  return `${repoRoot.replace(/\/+$/, '')}/../shared/artifacts`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Artifacts and their official layout

export type ArtifactId = 'vm-cluster' | 'vmutils' | 'node-exporter' | 'alertmanager';

/** How an artifact is produced from source when no cache or official download has it. */
export type BuildRecipe =
  | {
      kind: 'victoriametrics';
      /** module path and version (tag) to fetch from the Go module proxy */
      module: string;
      moduleVersion: string;
      /** apps under ./app/<name>, each becomes `<name>-prod` at the tarball root */
      apps: string[];
    }
  | {
      kind: 'node-exporter';
      module: string;
      moduleVersion: string;
      /** files copied from the module root next to the binary */
      extraFiles: string[];
    }
  | {
      /** promu layout: `<top dir>/<binary>` per cmd, plus files from the module root (.promu.yml tarball.files) */
      kind: 'alertmanager';
      module: string;
      moduleVersion: string;
      /** binaries built from ./cmd/<name> */
      binaries: string[];
      /** files copied from the module into the top directory (by base name) */
      extraFiles: string[];
    };

export interface ArtifactSpec {
  id: ArtifactId;
  /** human name used in messages */
  title: string;
  version: string;
  /** directory of the release under the mirror root, e.g. `victoriametrics/v1.151.0` */
  dir: string;
  tarball: string;
  checksumFile: string;
  officialTarballUrl: string;
  officialChecksumUrl: string;
  /** paths inside the tarball that must be present for the artifact to be usable */
  requiredMembers: string[];
  build: BuildRecipe;
}

/** vmutils binaries built by default: cheap, and all that vmha deploys or may need soon. */
export const VMUTILS_DEFAULT_APPS = ['vmagent', 'vmalert', 'vmauth', 'vmalert-tool'] as const;
/** Added with --with-backup-tools: they pull in the cloud storage SDKs and cost most of the build. */
export const VMUTILS_BACKUP_APPS = ['vmbackup', 'vmrestore'] as const;
export const VM_CLUSTER_APPS = ['vminsert', 'vmselect', 'vmstorage'] as const;
/** Ansible tags of the roles that deploy the cluster tarball's apps (each role is named after its app). */
export const VM_CLUSTER_ROLE_TAGS = VM_CLUSTER_APPS.join(',');

export interface SpecOptions {
  withBackupTools: boolean;
}

export function artifactSpecs(versions: Versions, opts: SpecOptions): ArtifactSpec[] {
  const specs = [vmClusterSpec(versions.victoriametrics), vmutilsSpec(versions.victoriametrics, opts), nodeExporterSpec(versions.node_exporter)];
  if (versions.alertmanager) specs.push(alertmanagerSpec(versions.alertmanager));
  return specs;
}

export function vmClusterSpec(pin: ProductPin): ArtifactSpec {
  // The cluster sources live on the `-cluster` tags of the same module.
  return victoriaMetricsSpec(pin, 'vm-cluster', 'VictoriaMetrics cluster', `victoria-metrics-linux-amd64-v${pin.version}-cluster`, [...VM_CLUSTER_APPS], `v${pin.version}-cluster`);
}

export function vmutilsSpec(pin: ProductPin, opts: SpecOptions): ArtifactSpec {
  const apps = opts.withBackupTools ? [...VMUTILS_DEFAULT_APPS, ...VMUTILS_BACKUP_APPS] : [...VMUTILS_DEFAULT_APPS];
  return victoriaMetricsSpec(pin, 'vmutils', 'VictoriaMetrics vmutils', `vmutils-linux-amd64-v${pin.version}`, apps, `v${pin.version}`);
}

/** A VictoriaMetrics release tarball `<stem>.tar.gz` with `<stem>_checksums.txt`, as published. */
function victoriaMetricsSpec(pin: ProductPin, id: ArtifactId, name: string, stem: string, apps: string[], moduleVersion: string): ArtifactSpec {
  const tarball = `${stem}.tar.gz`;
  const checksumFile = `${stem}_checksums.txt`;
  return {
    id,
    title: `${name} (${apps.join(', ')})`,
    version: pin.version,
    dir: `victoriametrics/v${pin.version}`,
    tarball,
    checksumFile,
    officialTarballUrl: releaseFileUrl(pin, tarball),
    officialChecksumUrl: releaseFileUrl(pin, checksumFile),
    requiredMembers: apps.map(prodBinary),
    build: { kind: 'victoriametrics', module: pin.go_module, moduleVersion, apps },
  };
}

export function nodeExporterSpec(pin: ProductPin): ArtifactSpec {
  return promuReleaseSpec(pin, 'node-exporter', 'node_exporter', ['node_exporter', 'LICENSE', 'NOTICE'], {
    kind: 'node-exporter',
    module: pin.go_module,
    moduleVersion: `v${pin.version}`,
    extraFiles: ['LICENSE', 'NOTICE'],
  });
}

/**
 * A Prometheus-project release as promu publishes it: `<name>-<v>.linux-amd64.tar.gz` whose members
 * sit under the top directory `<name>-<v>.linux-amd64/`, checksums in `sha256sums.txt`.
 */
function promuReleaseSpec(pin: ProductPin, id: ArtifactId, title: string, members: string[], build: BuildRecipe): ArtifactSpec {
  const base = `${members[0]}-${pin.version}.linux-amd64`;
  const tarball = `${base}.tar.gz`;
  const checksumFile = 'sha256sums.txt';
  return {
    id,
    title,
    version: pin.version,
    dir: `${members[0]}/v${pin.version}`,
    tarball,
    checksumFile,
    officialTarballUrl: releaseFileUrl(pin, tarball),
    officialChecksumUrl: releaseFileUrl(pin, checksumFile),
    requiredMembers: members.map((member) => `${base}/${member}`),
    build,
  };
}

/**
 * Alertmanager as published (promu): `alertmanager-<v>.linux-amd64.tar.gz` with the top directory
 * `alertmanager-<v>.linux-amd64/` (alertmanager, amtool, alertmanager.yml, LICENSE, NOTICE) and
 * `sha256sums.txt`. Built from the Go module proxy without the web UI: the module has no UI assets.
 */
export function alertmanagerSpec(pin: ProductPin): ArtifactSpec {
  return promuReleaseSpec(pin, 'alertmanager', 'Alertmanager (alertmanager, amtool)', ['alertmanager', 'amtool', 'LICENSE', 'NOTICE'], {
    kind: 'alertmanager',
    module: pin.go_module,
    moduleVersion: `v${pin.version}`,
    binaries: ['alertmanager', 'amtool'],
    extraFiles: ['examples/ha/alertmanager.yml', 'LICENSE', 'NOTICE'],
  });
}

/** The directory inside the Alertmanager tarball, e.g. `alertmanager-0.35.0.linux-amd64`. */
export function alertmanagerTarDir(version: string): string {
  return `alertmanager-${version}.linux-amd64`;
}

/** `<release_url>/v<version>/<file>`, the layout of GitHub releases and of the lab mirror. */
export function releaseFileUrl(pin: ProductPin, file: string): string {
  return `${pin.release_url.replace(/\/+$/, '')}/v${pin.version}/${file}`;
}

export function prodBinary(app: string): string {
  return `${app}-prod`;
}

/** The directory inside the node_exporter tarball, e.g. `node_exporter-1.9.1.linux-amd64`. */
export function nodeExporterTarDir(version: string): string {
  return `node_exporter-${version}.linux-amd64`;
}

/** Members of `required` absent from a tarball listing (`tar -tzf` lines; `./` prefixes ignored). */
export function missingMembers(required: readonly string[], listing: readonly string[]): string[] {
  const present = new Set(listing.map((line) => line.trim().replace(/^\.\//, '').replace(/\/$/, '')));
  return required.filter((member) => !present.has(member));
}

// ---------------------------------------------------------------------------------------------
// Build version strings (what `-version` / `--version` prints)

/** `YYYYMMDD-HHMMSS` in UTC, the DATEINFO_TAG of the VictoriaMetrics Makefile. */
export function dateInfoTag(time: Date): string {
  if (Number.isNaN(time.getTime())) throw new Error('dateInfoTag: invalid date');
  const iso = time.toISOString(); // 2026-08-28T13:46:29.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/**
 * The `lib/buildinfo.Version` value, shaped like the official `<app>-<date>-tags-v<ver>-0-g<commit>`.
 * The Go proxy does not tell the commit, so the suffix says where the build came from instead;
 * VictoriaMetrics only parses the `v<ver>` part of it.
 */
export function vmBuildInfoVersion(app: string, moduleVersion: string, tagTime: Date): string {
  return `${app}-${dateInfoTag(tagTime)}-tags-${moduleVersion}-goproxy`;
}

/** ldflags of a VictoriaMetrics `-prod` build (deployment/docker/Makefile, app-via-docker). */
export function vmLdflags(module: string, buildInfoVersion: string): string {
  return `-extldflags '-static' -X '${module}/lib/buildinfo.Version=${buildInfoVersion}'`;
}

/** ldflags of node_exporter's promu build (.promu.yml); the commit is unknown from the proxy. */
export function nodeExporterLdflags(version: string, tagTime: Date): string {
  return promuLdflags(version, tagTime);
}

/** prometheus/common version ldflags of a promu build (node_exporter, Alertmanager). */
export function promuLdflags(version: string, tagTime: Date): string {
  const date = dateInfoTag(tagTime).replace(/^(\d{8})-(\d\d)(\d\d)(\d\d)$/, '$1-$2:$3:$4');
  const pkg = 'github.com/prometheus/common/version';
  return [
    `-X ${pkg}.Version=${version}`,
    `-X ${pkg}.Branch=HEAD`,
    `-X ${pkg}.BuildUser=vmha@goproxy`,
    `-X ${pkg}.BuildDate=${date}`,
  ].join(' ');
}

// ---------------------------------------------------------------------------------------------
// sha256sum checksum files

export interface ChecksumEntry {
  sha256: string;
  file: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** One line as `sha256sum` writes it: `<hex>  <filename>`. */
export function formatChecksumLine(entry: ChecksumEntry): string {
  if (!SHA256_HEX.test(entry.sha256)) throw new Error(`not a lowercase sha256 hex digest: '${entry.sha256}'`);
  if (entry.file === '' || /[\n\\]/.test(entry.file)) throw new Error(`file name not representable in a checksum file: '${entry.file}'`);
  return `${entry.sha256}  ${entry.file}`;
}

export function formatChecksumFile(entries: readonly ChecksumEntry[]): string {
  return entries.map(formatChecksumLine).join('\n') + '\n';
}

/**
 * Parses `sha256sum` output (text `<hex>  name` or binary `<hex> *name` lines; blank lines
 * skipped). `source` names the file in errors. Throws on the first malformed line.
 */
export function parseChecksumFile(text: string, source: string): ChecksumEntry[] {
  const entries: ChecksumEntry[] = [];
  const seen = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `${source}:${index + 1}`;
    const match = /^([0-9a-fA-F]+) [ *](.+)$/.exec(line);
    if (!match) throw new Error(`${where}: malformed checksum line '${clip(line)}' (expected '<sha256 hex>  <file name>')`);
    const [, hex = '', file = ''] = match;
    if (hex.length !== 64) throw new Error(`${where}: digest has ${hex.length} hex digits, a sha256 has 64 ('${clip(line)}')`);
    const sha256 = hex.toLowerCase();
    const previous = seen.get(file);
    if (previous !== undefined && previous !== sha256) throw new Error(`${where}: '${file}' is listed twice with different digests`);
    if (previous === undefined) entries.push({ sha256, file });
    seen.set(file, sha256);
  });
  return entries;
}

function clip(line: string): string {
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

/** The digest listed for `file`; throws naming the checksum file when it is not listed. */
export function expectedDigest(entries: readonly ChecksumEntry[], file: string, source: string): string {
  const entry = entries.find((e) => e.file === file);
  if (!entry) throw new Error(`${source}: no checksum line for '${file}'`);
  return entry.sha256;
}

// ---------------------------------------------------------------------------------------------
// Sources and results

export type Source = 'cache' | 'offline' | 'official' | 'built';
export type Outcome = Source | 'missing';

export interface SourceOptions {
  /** an offline mirror directory exists (VMHA_OFFLINE_MIRROR or ../shared/artifacts) */
  offline?: boolean;
  /** skip the official download (no Internet, or to force a local build) */
  noOfficial: boolean;
  /** skip the build from the Go module proxy */
  noBuild: boolean;
}

/**
 * The order in which sources are tried: cache first (instant), then a read-only offline mirror
 * directory (air-gapped sites), then the official release, then a build.
 */
export function sourceOrder(opts: SourceOptions): Source[] {
  const order: Source[] = ['cache'];
  if (opts.offline) order.push('offline');
  if (!opts.noOfficial) order.push('official');
  if (!opts.noBuild) order.push('built');
  return order;
}

export interface ArtifactResult {
  id: ArtifactId;
  file: string;
  source: Outcome;
  sha256: string | null;
  /** why earlier sources were passed over, or why the artifact is missing */
  reason: string;
  /** wall-clock time spent on this artifact */
  seconds: number;
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** Some artifacts could not be obtained from any source; everything else is in the mirror. */
export const EXIT_SOME_UNAVAILABLE = 3;

export function exitCodeFor(results: readonly ArtifactResult[]): number {
  return results.some((r) => r.source === 'missing') ? EXIT_SOME_UNAVAILABLE : EXIT_OK;
}

/** One message per missing artifact naming the file and every source tried. */
export function missingMessage(spec: ArtifactSpec, attempts: readonly { source: Source; reason: string }[]): string {
  const lines = [`MISSING ${spec.dir}/${spec.tarball} (${spec.title}); tried:`];
  for (const attempt of attempts) lines.push(`  - ${attempt.source}: ${attempt.reason}`);
  return lines.join('\n');
}
