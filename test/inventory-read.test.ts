import { expect } from 'chai';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateVars, validateInventory } from '../scripts/lib/inventory/read.js';

const example = path.resolve('ansible/inventories/example');

describe('inventory reading', () => {
  it('follows a linked hosts file (as Molecule links it) back to its own inventory', () => {
    const linkDir = mkdtempSync(path.join(tmpdir(), 'vmha-linked-'));
    try {
      symlinkSync(path.join(example, 'hosts.yml'), path.join(linkDir, 'hosts'));
      expect(validateInventory(linkDir).ok).to.equal(true);
      expect(generateVars(linkDir).generatedPath).to.equal(path.join(example, 'group_vars/all/zz-generated.yml'));
    } finally {
      rmSync(linkDir, { recursive: true, force: true });
    }
  });

  it('names the directory when it holds no hosts file', () => {
    const emptyDir = mkdtempSync(path.join(tmpdir(), 'vmha-empty-'));
    try {
      expect(() => validateInventory(emptyDir)).to.throw(`inventory directory ${emptyDir} has no hosts.yml`);
    } finally {
      rmSync(emptyDir, { recursive: true, force: true });
    }
  });
});
