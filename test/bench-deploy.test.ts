import { expect } from 'chai';
import { changedHosts, renderDeployBench } from '../scripts/lib/bench-deploy.js';

const recap = `PLAY RECAP *****
grafana-1                  : ok=41   changed=0    unreachable=0    failed=0
vmagent-1                  : ok=47   changed=3    unreachable=0    failed=0
localhost                  : ok=4    changed=0    unreachable=0    failed=0
`;

describe('deploy benchmark', () => {
  it('lists the hosts that changed in the last PLAY RECAP', () => {
    expect(changedHosts(`PLAY RECAP\nold-host : ok=1 changed=9\n${recap}`)).to.deep.equal(['vmagent-1']);
  });

  it('renders targets and flags a slow re-run', () => {
    const text = renderDeployBench({
      date: 'd', hosts: 15, cores: 2, scope: 's', lab_up_seconds: 10, cold_playbook_seconds: 150,
      cold_deploy_seconds: 160, rerun_seconds: 75, cold_changed_hosts: 15, rerun_changed_hosts: [],
      targets: { cold_deploy_seconds: 240, rerun_seconds: 60 },
    });
    expect(text).to.contain('| 160.0 | 240 | within target |');
    expect(text).to.contain('| 75.0 | 60 | OVER target |');
    expect(text).to.contain('none (idempotent)');
  });
});
