// node --import ./scripts/register-ts.mjs scripts/lab-backup-store.ts   (under the lab lock)
//
// Brings up only the lab's backup destination (SeaweedFS S3 on host backup-s3), as `lab up`
// does with the other hosts: scripts/lib/lab/backup-store.ts.
import { ensureBackupStore } from './lib/lab/backup-store.js';

ensureBackupStore().catch((error: unknown) => {
  console.error(`backup-store: ERROR: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
