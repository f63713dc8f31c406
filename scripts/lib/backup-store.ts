// The lab's backup destination (pure parts): SeaweedFS, an S3-compatible server under the
// Apache-2.0 licence, built from the Go module proxy into a lab-only artifact, and the files that
// run it on its lab host (labBackupStore). MinIO (AGPL) is not used. No I/O here:
// scripts/lab-backup-store.ts builds, verifies, copies and starts it.

/**
 * SeaweedFS as the Go module proxy serves it: the project's release tags (4.xx) are not semantic
 * versions, so the proxy has only pseudo-versions; this one is master of 2026-11-09, which
 * reports itself as 4.53 (weed/util/version/constants.go).
 */
export const seaweedfsPin = {
  module: 'github.com/seaweedfs/seaweedfs',
  moduleVersion: 'v0.0.0-20261109003541-7506e5f91cd6',
  /** what `weed version` prints for it */
  version: '4.53',
  commit: '7506e5f9',
  /** go.sum line of the module zip (checked by `go mod download` against the checksum database) */
  moduleSum: 'h1:LOYZFToHq9F7pSR6lkPGfkM8RmHlVFrzndKdhmNZjrU=',
} as const;

/** Cache directory of the built binary, below the artifact cache root. */
export function seaweedfsCacheDir(cacheRoot: string): string {
  return `${cacheRoot.replace(/\/+$/, '')}/seaweedfs/${seaweedfsPin.moduleVersion}`;
}

/** `go build` arguments of the static, trimmed weed binary (the upstream Makefile's flags). */
export function weedBuildArgs(output: string): string[] {
  return [
    '-trimpath',
    '-buildvcs=false',
    '-ldflags',
    `-s -w -X github.com/seaweedfs/seaweedfs/weed/util/version.COMMIT=${seaweedfsPin.commit}`,
    '-o',
    output,
    './weed',
  ];
}

/** The S3 identities file (-s3.config): one identity that may read, write and list. */
export function s3Config(accessKey: string, secretKey: string): string {
  if (accessKey === '' || secretKey.length < 16) throw new Error('backup-store: the S3 access key is empty or the secret shorter than 16 characters');
  return `${JSON.stringify(
    {
      identities: [
        {
          name: 'vmha-backup',
          credentials: [{ accessKey, secretKey }],
          actions: ['Read', 'Write', 'List', 'Tagging', 'Admin'],
        },
      ],
    },
    null,
    2,
  )}\n`;
}

export const weedBinaryPath = '/usr/local/bin/weed';
export const weedConfigDir = '/etc/seaweedfs';
export const weedDataDir = '/var/lib/seaweedfs';

/** systemd unit of the all-in-one `weed mini` (master, volume, filer, S3) with the bucket made at start. */
export function weedUnit(address: string, s3Port: number, bucket: string): string {
  return [
    '# Lab only: the backup destination (SeaweedFS S3), written by scripts/lab-backup-store.ts.',
    '[Unit]',
    'Description=SeaweedFS S3 server (lab backup destination)',
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    'User=seaweedfs',
    'Group=seaweedfs',
    `ExecStart=${weedBinaryPath} mini -dir=${weedDataDir} -ip=${address} -s3.port=${s3Port} -s3.config=${weedConfigDir}/s3.json -bucket=${bucket} -admin.ui=false`,
    'Restart=on-failure',
    'RestartSec=5s',
    'StateDirectory=seaweedfs',
    'StateDirectoryMode=0700',
    'LimitNOFILE=65536',
    'NoNewPrivileges=true',
    'CapabilityBoundingSet=',
    'ProtectSystem=strict',
    'ProtectHome=true',
    'PrivateTmp=true',
    'PrivateDevices=true',
    'ProtectKernelTunables=true',
    'ProtectKernelModules=true',
    'ProtectControlGroups=true',
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    'RestrictNamespaces=true',
    'LockPersonality=true',
    'SystemCallArchitectures=native',
    'UMask=0077',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}
