// The YAML/Jinja near-copy count of ansible/roles (scripts/near-copies.ts).
import { expect } from 'chai';
import { findNearCopies, normaliseLines } from '../scripts/lib/near-copies.js';

const handler = (role: string) =>
  ['---', `- name: Restart ${role}`, '  ansible.builtin.systemd_service:', `    name: ${role}`, '    state: restarted', '    daemon_reload: true', ''].join('\n');

describe('near-copies', () => {
  it('replaces the role name and drops blank and trivial lines', () => {
    expect(normaliseLines('---\n  name:   vmstorage_http_port\n\n{% endif %}\n', 'vmstorage')).to.deep.equal([
      { line: 2, text: 'name: <role>_http_port' },
    ]);
  });

  it('finds the same 5 lines in two roles once the role name is normalised', () => {
    const report = findNearCopies([
      { path: 'a/handlers/main.yml', role: 'vminsert', text: handler('vminsert') },
      { path: 'b/handlers/main.yml', role: 'vmselect', text: handler('vmselect') },
    ]);
    expect(report.runs.map((r) => [r.path, r.startLine, r.endLine])).to.deep.equal([
      ['a/handlers/main.yml', 2, 6],
      ['b/handlers/main.yml', 2, 6],
    ]);
    expect(report.copiedLines).to.equal(10);
  });

  it('does not count a run shorter than the minimum or text found once', () => {
    const report = findNearCopies([
      { path: 'a.yml', role: 'a', text: handler('a') },
      { path: 'b.yml', role: 'b', text: handler('b').replace('daemon_reload: true', 'daemon_reload: false') },
    ]);
    expect(report.runs).to.deep.equal([]);
    expect(findNearCopies([{ path: 'a.yml', role: 'a', text: handler('a') }]).copiedLines).to.equal(0);
  });
});
