// Reading a site.yml run's output: the hosts that went through the deploy plays, and the hosts
// role deploy_record found drifted. The plays come from the real site.yml.
import { expect } from 'chai';
import yaml from 'js-yaml';
import { readFileSync } from 'node:fs';
import { deployedHosts, deployPlayNames, driftedHosts, siteDeployPlayNames } from '../scripts/lib/site-run.js';

const output = `
PLAY [Compare every host with the record of its last complete deploy, and check its health] ***

TASK [deploy_record : Compare the host with the record of its last complete deploy and check its health] ***
ok: [vmstorage-1]
ok: [vmagent-3]

PLAY [Leave out the hosts whose last deploy is current] ************************

TASK [deploy_record : Skip the deploy on the hosts that are exactly as their last deploy left them] ***
ok: [localhost] => (item=localhost)
ok: [localhost] => (item=vmstorage-1)

TASK [deploy_record : Say why a host that was deployed before is deployed again] ***
ok: [localhost] => (item=vmagent-3) =>
    msg: 'vmagent-3 drifted from its last deploy: node_exporter.service is inactive/dead (0 restarts)'

PLAY [Deploy vmstorage one node at a time (reads and writes keep being served)] ***
skipping: no hosts matched

PLAY [Deploy node_exporter] ****************************************************

TASK [vmha_service : Enable and start node_exporter] ***************************
changed: [vmagent-3]
ok: [vmagent-3 -> localhost]

PLAY [Check that every managed service is active and healthy] ******************

TASK [service_health : Check that every managed unit is active, answers its health URL and did not restart meanwhile] ***
ok: [vmagent-3]
`;

describe('site.yml run output', () => {
  it('takes the deploy plays from site.yml: every play after the record check, the health check of deployed hosts too', () => {
    const names = siteDeployPlayNames('ansible/site.yml');
    expect(names).to.include.members(['Deploy node_exporter', 'Isolate the tiers with the host firewall',
      'Check that every managed service is active and healthy']);
    expect(names).not.to.include('Compare every host with the record of its last complete deploy, and check its health');
    expect(names.length).to.be.greaterThan(10);
  });

  it('every play of site.yml that deploys leaves out current hosts (a new play must too)', () => {
    const plays = (yaml.load(readFileSync('ansible/site.yml', 'utf8')) as { name: string; hosts?: string; import_playbook?: string }[]).filter(
      (p) => p.hosts !== undefined,
    );
    const [fingerprint, check, select, ...rest] = plays;
    expect([fingerprint?.hosts, check?.hosts, select?.hosts]).to.deep.equal(['localhost', 'all', 'localhost']);
    expect(rest.at(-1)?.name).to.equal('Check that every managed service is active and healthy');
    expect(rest.filter((p) => !p.hosts?.endsWith(':&vmha_deploy_needed')).map((p) => p.name)).to.deep.equal([]);
    expect(siteDeployPlayNames('ansible/site.yml')).to.deep.equal(rest.map((p) => p.name));
  });

  it('finds the hosts that went through a deploy play, not those only checked', () => {
    expect(deployedHosts(output, siteDeployPlayNames('ansible/site.yml'))).to.deep.equal(['vmagent-3']);
    expect(deployedHosts(output, [])).to.deep.equal([]);
  });

  it('finds the hosts reported drifted', () => {
    expect(driftedHosts(output)).to.deep.equal(['vmagent-3']);
    expect(driftedHosts('PLAY RECAP\n')).to.deep.equal([]);
  });

  it('reads play names only from plays that leave out current hosts', () => {
    expect(deployPlayNames('- {name: a, hosts: all}\n- {name: b, hosts: "x:&vmha_deploy_needed"}\n- {name: c, hosts: "x:!vmha_deploy_needed"}\n'))
      .to.deep.equal(['b']);
  });
});
