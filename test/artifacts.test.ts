import { expect } from 'chai';
import {
  type ArtifactResult,
  type Versions,
  EXIT_OK,
  EXIT_SOME_UNAVAILABLE,
  artifactSpecs,
  dateInfoTag,
  exitCodeFor,
  expectedDigest,
  formatChecksumFile,
  formatChecksumLine,
  missingMembers,
  missingMessage,
  nodeExporterLdflags,
  parseChecksumFile,
  parseVersions,
  releaseFileUrl,
  sourceOrder,
  offlineMirrorDir,
  vmBuildInfoVersion,
  vmLdflags,
} from '../scripts/lib/artifacts.js';

const versionsDoc = {
  victoriametrics: {
    version: '1.151.0',
    release_url: 'https://github.com/VictoriaMetrics/VictoriaMetrics/releases/download',
    go_module: 'github.com/VictoriaMetrics/VictoriaMetrics',
  },
  node_exporter: {
    version: '1.9.1',
    release_url: 'https://github.com/prometheus/node_exporter/releases/download/',
    go_module: 'github.com/prometheus/node_exporter',
  },
};
const versions: Versions = parseVersions(versionsDoc, 'versions.yml');
const hexA = 'a'.repeat(64);
const hexB = '0123456789abcdef'.repeat(4);

describe('artifacts: versions.yml', () => {
  it('reads the pins and trims a trailing slash of release_url', () => {
    expect(versions.victoriametrics.version).to.equal('1.151.0');
    expect(versions.node_exporter.release_url).to.equal('https://github.com/prometheus/node_exporter/releases/download');
  });

  it('rejects a version with a leading v, naming file and key', () => {
    const doc = { ...versionsDoc, node_exporter: { ...versionsDoc.node_exporter, version: 'v1.9.1' } };
    expect(() => parseVersions(doc, 'ansible/versions.yml')).to.throw(/ansible\/versions\.yml: 'node_exporter\.version' is 'v1\.9\.1'/);
  });

  it('rejects a missing product and a non-URL release_url', () => {
    expect(() => parseVersions({ node_exporter: versionsDoc.node_exporter }, 'v.yml')).to.throw(/v\.yml: 'victoriametrics' must be a mapping/);
    const doc = { ...versionsDoc, victoriametrics: { ...versionsDoc.victoriametrics, release_url: 'ftp://x' } };
    expect(() => parseVersions(doc, 'v.yml')).to.throw(/'victoriametrics\.release_url' is 'ftp:\/\/x'/);
    expect(() => parseVersions([], 'v.yml')).to.throw(/v\.yml: expected a mapping/);
  });
});

describe('artifacts: names, layout and URLs', () => {
  const [cluster, vmutils, nodeExporter] = artifactSpecs(versions, { withBackupTools: false });

  it('names the cluster release as the official one', () => {
    expect(cluster?.dir).to.equal('victoriametrics/v1.151.0');
    expect(cluster?.tarball).to.equal('victoria-metrics-linux-amd64-v1.151.0-cluster.tar.gz');
    expect(cluster?.checksumFile).to.equal('victoria-metrics-linux-amd64-v1.151.0-cluster_checksums.txt');
    expect(cluster?.officialTarballUrl).to.equal(
      'https://github.com/VictoriaMetrics/VictoriaMetrics/releases/download/v1.151.0/victoria-metrics-linux-amd64-v1.151.0-cluster.tar.gz',
    );
    expect(cluster?.requiredMembers).to.deep.equal(['vminsert-prod', 'vmselect-prod', 'vmstorage-prod']);
    expect(cluster?.build).to.include({ moduleVersion: 'v1.151.0-cluster' });
  });

  it('names vmutils and builds vmbackup/vmrestore only on request', () => {
    expect(vmutils?.tarball).to.equal('vmutils-linux-amd64-v1.151.0.tar.gz');
    expect(vmutils?.checksumFile).to.equal('vmutils-linux-amd64-v1.151.0_checksums.txt');
    expect(vmutils?.requiredMembers).to.deep.equal(['vmagent-prod', 'vmalert-prod', 'vmauth-prod', 'vmalert-tool-prod']);
    const withBackup = artifactSpecs(versions, { withBackupTools: true })[1];
    expect(withBackup?.requiredMembers).to.include.members(['vmbackup-prod', 'vmrestore-prod']);
    expect(withBackup?.build).to.include({ moduleVersion: 'v1.151.0' });
  });

  it('names node_exporter with its top directory and sha256sums.txt', () => {
    expect(nodeExporter?.dir).to.equal('node_exporter/v1.9.1');
    expect(nodeExporter?.tarball).to.equal('node_exporter-1.9.1.linux-amd64.tar.gz');
    expect(nodeExporter?.checksumFile).to.equal('sha256sums.txt');
    expect(nodeExporter?.requiredMembers).to.deep.equal([
      'node_exporter-1.9.1.linux-amd64/node_exporter',
      'node_exporter-1.9.1.linux-amd64/LICENSE',
      'node_exporter-1.9.1.linux-amd64/NOTICE',
    ]);
    expect(nodeExporter?.officialChecksumUrl).to.equal('https://github.com/prometheus/node_exporter/releases/download/v1.9.1/sha256sums.txt');
  });

  it('names Alertmanager as promu publishes it, only when versions.yml pins it', () => {
    expect(artifactSpecs(versions, { withBackupTools: false }).map((s) => s.id)).to.not.include('alertmanager');
    const pinned = parseVersions(
      { ...versionsDoc, alertmanager: { version: '0.35.0', release_url: 'https://github.com/prometheus/alertmanager/releases/download', go_module: 'github.com/prometheus/alertmanager' } },
      'versions.yml',
    );
    const am = artifactSpecs(pinned, { withBackupTools: false }).find((s) => s.id === 'alertmanager');
    expect(am?.dir).to.equal('alertmanager/v0.35.0');
    expect(am?.tarball).to.equal('alertmanager-0.35.0.linux-amd64.tar.gz');
    expect(am?.checksumFile).to.equal('sha256sums.txt');
    expect(am?.requiredMembers).to.include('alertmanager-0.35.0.linux-amd64/alertmanager');
    expect(am?.officialTarballUrl).to.equal('https://github.com/prometheus/alertmanager/releases/download/v0.35.0/alertmanager-0.35.0.linux-amd64.tar.gz');
    expect(am?.build).to.include({ kind: 'alertmanager', moduleVersion: 'v0.35.0' });
  });

  it('builds mirror URLs the same way (base/v<version>/<file>)', () => {
    const pin = { ...versions.victoriametrics, release_url: 'http://127.0.0.1:18480/victoriametrics/' };
    expect(releaseFileUrl(pin, 'x.tar.gz')).to.equal('http://127.0.0.1:18480/victoriametrics/v1.151.0/x.tar.gz');
  });

  it('finds missing tarball members, ignoring ./ prefixes and directory entries', () => {
    const listing = ['./vmagent-prod', 'vmalert-prod', 'node_exporter-1.9.1.linux-amd64/'];
    expect(missingMembers(['vmagent-prod', 'vmalert-prod', 'node_exporter-1.9.1.linux-amd64'], listing)).to.deep.equal([]);
    expect(missingMembers(['vmagent-prod', 'vmauth-prod'], listing)).to.deep.equal(['vmauth-prod']);
  });
});

describe('artifacts: build version strings', () => {
  const tagTime = new Date('2026-08-28T13:46:29Z');

  it('formats the VictoriaMetrics DATEINFO tag in UTC', () => {
    expect(dateInfoTag(tagTime)).to.equal('20260828-134629');
    expect(() => dateInfoTag(new Date('nope'))).to.throw(/invalid date/);
  });

  it('shapes buildinfo.Version like the official one so -version shows the pinned tag', () => {
    const version = vmBuildInfoVersion('vmagent', 'v1.151.0', tagTime);
    expect(version).to.equal('vmagent-20260828-134629-tags-v1.151.0-goproxy');
    expect(/v\d+\.\d+\.\d+(?:-enterprise)?(?:-cluster)?/.exec(version)?.[0]).to.equal('v1.151.0');
    expect(vmLdflags('github.com/VictoriaMetrics/VictoriaMetrics', version)).to.equal(
      "-extldflags '-static' -X 'github.com/VictoriaMetrics/VictoriaMetrics/lib/buildinfo.Version=vmagent-20260828-134629-tags-v1.151.0-goproxy'",
    );
  });

  it('sets the prometheus/common version variables for node_exporter', () => {
    const flags = nodeExporterLdflags('1.9.1', new Date('2025-04-01T15:14:14Z'));
    expect(flags).to.include('-X github.com/prometheus/common/version.Version=1.9.1');
    expect(flags).to.include('version.BuildDate=20250401-15:14:14');
  });
});

describe('artifacts: sha256sum checksum files', () => {
  it('formats lines exactly as sha256sum does (two spaces)', () => {
    expect(formatChecksumLine({ sha256: hexA, file: 'x.tar.gz' })).to.equal(`${hexA}  x.tar.gz`);
    expect(formatChecksumFile([{ sha256: hexA, file: 'a' }, { sha256: hexB, file: 'b' }])).to.equal(`${hexA}  a\n${hexB}  b\n`);
  });

  it('refuses to format a bad digest or file name', () => {
    expect(() => formatChecksumLine({ sha256: 'ABC', file: 'x' })).to.throw(/not a lowercase sha256/);
    expect(() => formatChecksumLine({ sha256: hexA, file: 'a\nb' })).to.throw(/not representable/);
  });

  it('parses text and binary mode lines, blank lines and CRLF; round-trips', () => {
    const text = `${hexA}  vmutils.tar.gz\r\n\n${hexB.toUpperCase()} *vmagent-prod\n`;
    const entries = parseChecksumFile(text, 'sums.txt');
    expect(entries).to.deep.equal([
      { sha256: hexA, file: 'vmutils.tar.gz' },
      { sha256: hexB, file: 'vmagent-prod' },
    ]);
    expect(parseChecksumFile(formatChecksumFile(entries), 'sums.txt')).to.deep.equal(entries);
  });

  it('keeps file names with spaces', () => {
    expect(parseChecksumFile(`${hexA}  my file.tar.gz\n`, 's')[0]?.file).to.equal('my file.tar.gz');
  });

  it('rejects malformed lines, naming file, line number and the line', () => {
    expect(() => parseChecksumFile(`${hexA}  ok\nnot a checksum line\n`, 'sums.txt')).to.throw(
      /sums\.txt:2: malformed checksum line 'not a checksum line' \(expected '<sha256 hex>  <file name>'\)/,
    );
    expect(() => parseChecksumFile(`${hexA}\n`, 's.txt')).to.throw(/s\.txt:1: malformed checksum line/);
    expect(() => parseChecksumFile(`${hexA}\tfile\n`, 's.txt')).to.throw(/s\.txt:1: malformed/);
    expect(() => parseChecksumFile(`${'g'.repeat(64)}  file\n`, 's.txt')).to.throw(/s\.txt:1: malformed/);
  });

  it('rejects a digest of the wrong length (e.g. md5) with a clear message', () => {
    expect(() => parseChecksumFile('d41d8cd98f00b204e9800998ecf8427e  file\n', 'sums.txt')).to.throw(
      /sums\.txt:1: digest has 32 hex digits, a sha256 has 64/,
    );
  });

  it('rejects a file listed twice with different digests, accepts exact duplicates once', () => {
    expect(() => parseChecksumFile(`${hexA}  f\n${hexB}  f\n`, 's.txt')).to.throw(/s\.txt:2: 'f' is listed twice/);
    expect(parseChecksumFile(`${hexA}  f\n${hexA}  f\n`, 's.txt')).to.have.length(1);
  });

  it('looks up the expected digest, or says which file lacks the line', () => {
    const entries = parseChecksumFile(`${hexA}  a.tar.gz\n`, 's.txt');
    expect(expectedDigest(entries, 'a.tar.gz', 's.txt')).to.equal(hexA);
    expect(() => expectedDigest(entries, 'b.tar.gz', 's.txt')).to.throw(/s\.txt: no checksum line for 'b\.tar\.gz'/);
  });
});

describe('artifacts: sources and exit codes', () => {
  it('tries the cache, then the official release, then a build', () => {
    expect(sourceOrder({ noOfficial: false, noBuild: false })).to.deep.equal(['cache', 'official', 'built']);
    expect(sourceOrder({ noOfficial: true, noBuild: false })).to.deep.equal(['cache', 'built']);
    expect(sourceOrder({ noOfficial: true, noBuild: true })).to.deep.equal(['cache']);
    expect(sourceOrder({ offline: true, noOfficial: false, noBuild: false })).to.deep.equal(['cache', 'offline', 'official', 'built']);
  });

  it('finds the offline mirror in VMHA_OFFLINE_MIRROR, else beside the repository', () => {
    expect(offlineMirrorDir({ VMHA_OFFLINE_MIRROR: '/srv/vm' }, '/w/main')).to.equal('/srv/vm');
    expect(offlineMirrorDir({ VMHA_OFFLINE_MIRROR: '' }, '/w/main')).to.equal(undefined);
    expect(offlineMirrorDir({}, '/w/main/')).to.equal('/w/main/../shared/artifacts');
  });

  const result = (source: ArtifactResult['source']): ArtifactResult => ({ id: 'vmutils', file: 'f', source, sha256: null, reason: '', seconds: 0 });

  it('exits 3 when any artifact is missing, 0 otherwise', () => {
    expect(exitCodeFor([result('cache'), result('built'), result('official')])).to.equal(EXIT_OK);
    expect(exitCodeFor([result('built'), result('missing')])).to.equal(EXIT_SOME_UNAVAILABLE);
    expect(EXIT_SOME_UNAVAILABLE).to.equal(3);
  });

  it('names the missing file and every source tried', () => {
    const [cluster] = artifactSpecs(versions, { withBackupTools: false });
    if (!cluster) throw new Error('no cluster spec');
    const message = missingMessage(cluster, [
      { source: 'cache', reason: 'not present' },
      { source: 'official', reason: 'could not connect' },
      { source: 'built', reason: 'Go module proxy has no ...@v1.151.0-cluster' },
    ]);
    expect(message).to.match(/^MISSING victoriametrics\/v1\.151\.0\/victoria-metrics-linux-amd64-v1\.151\.0-cluster\.tar\.gz/);
    expect(message).to.include('  - cache: not present').and.include('  - official: could not connect').and.include('  - built: Go module proxy');
  });
});
