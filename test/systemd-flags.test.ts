// The Ansible filter that renders every unit's ExecStart arguments (a Python plugin of the
// vmha_artifact role), exercised through python3 exactly as Ansible imports it.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';

function render(flags: unknown, style?: string): string[] {
  const script = [
    'import json, sys',
    "sys.path.insert(0, 'ansible/roles/vmha_artifact/filter_plugins')",
    'from systemd_flags import systemd_flag_args',
    'flags, style = json.loads(sys.argv[1]), sys.argv[2]',
    'print(json.dumps(systemd_flag_args(flags, style) if style else systemd_flag_args(flags)))',
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', script, JSON.stringify(flags), style ?? ''], { encoding: 'utf8' }));
}

describe('systemd_flag_args filter', () => {
  it('renders VictoriaMetrics flags sorted, repeating lists and dropping nulls', () => {
    expect(
      render({ storageNode: ['10.0.0.1:8400', '10.0.0.2:8400'], replicationFactor: 2, dryRun: true, 'search.denyPartialResponse': false, unset: null }),
    ).to.deep.equal([
      '-dryRun',
      '-replicationFactor=2',
      '-search.denyPartialResponse=false',
      '-storageNode=10.0.0.1:8400',
      '-storageNode=10.0.0.2:8400',
    ]);
  });

  it('renders kingpin flags for node_exporter (--flag, --no-flag)', () => {
    expect(render({ 'web.listen-address': ':9100', 'collector.systemd': true, 'collector.wifi': false }, 'kingpin')).to.deep.equal([
      '--collector.systemd',
      '--no-collector.wifi',
      '--web.listen-address=:9100',
    ]);
  });

  it('quotes and escapes what systemd would interpret', () => {
    expect(render({ 'relabel.label': 'a b"$%\\' })).to.deep.equal(['"-relabel.label=a b\\"$$%%\\\\"']);
  });

  it('rejects an unknown style', () => {
    expect(() => render({ a: 1 }, 'gnu')).to.throw(/style must be/);
  });
});
