// The load balancers' basic-auth files (nginx_lb "Write the htpasswd files"): the role's own task,
// run twice by the venv's Ansible on localhost into a temporary directory. The line must be the
// SHA-512 crypt (5000 rounds, the salt of host, site and user) that `openssl passwd -6` computes
// independently, and the second run must change nothing and notify no reload.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import yaml from 'js-yaml';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const playbookBin = path.join(repo, '.venv/bin/ansible-playbook');
const sites = [
  { name: 'vmha-insert', group: 'lb_insert', username: 'writer', password: 'k3J9-xq7Lm2pZ8vR4tW' },
  { name: 'vmha-select', group: 'lb_insert', username: 'reader', password: 'Zq8-vN3mL7wR2tYp5K' },
];

describe('nginx_lb htpasswd files (password_hash)', function () {
  this.timeout(120_000);
  let work = '';

  before(function () {
    if (!existsSync(playbookBin)) return this.skip();
    // The task writes root:www-data files, as on a balancer.
    if (process.getuid?.() !== 0 || spawnSync('getent', ['group', 'www-data']).status !== 0) return this.skip();
    work = mkdtempSync(path.join(tmpdir(), 'vmha-htpasswd-'));
    const tasks = yaml.load(readFileSync(path.join(repo, 'ansible/roles/nginx_lb/tasks/configure.yml'), 'utf8')) as { name: string }[];
    const task = tasks.filter((t) => t.name === 'Write the htpasswd files');
    expect(task, 'nginx_lb/tasks/configure.yml has one "Write the htpasswd files" task').to.have.length(1);
    writeFileSync(path.join(work, 'task.yml'), yaml.dump(task));
    writeFileSync(path.join(work, 'hosts.yml'), yaml.dump({
      all: { children: { lb_insert: { hosts: { 'lb-insert-1': { ansible_connection: 'local', ansible_python_interpreter: path.join(repo, '.venv/bin/python') } } } } },
    }));
    writeFileSync(path.join(work, 'play.yml'), yaml.dump([{
      name: 'htpasswd', hosts: 'lb-insert-1', gather_facts: false,
      vars: { nginx_lb_auth_enabled: true, _nginx_lb_auth_dir: path.join(work, 'auth'), _nginx_lb_host_sites: sites },
      tasks: [
        { name: 'Auth dir', 'ansible.builtin.file': { path: path.join(work, 'auth'), state: 'directory', mode: '0750' } },
        { name: 'The role task', 'ansible.builtin.include_tasks': 'task.yml' },
      ],
      handlers: [{ name: 'Reload nginx', 'ansible.builtin.debug': { msg: 'RELOAD-NOTIFIED' } }],
    }]));
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const run = () => {
    const out = spawnSync(playbookBin, ['-i', 'hosts.yml', 'play.yml'], { cwd: work, encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOLOR: '1' } });
    expect(out.status, `${out.stdout}\n${out.stderr}`).to.equal(0);
    return out.stdout;
  };

  it('writes a $6$ line openssl passwd -6 agrees with, root:www-data 0640, and a re-run changes nothing', () => {
    const first = run();
    expect(first).to.include('RELOAD-NOTIFIED');
    const written = sites.map((s) => readFileSync(path.join(work, 'auth', `htpasswd-${s.name}`), 'utf8'));
    for (const [i, site] of sites.entries()) {
      const salt = createHash('sha256').update(`lb-insert-1/${site.name}/${site.username}`).digest('hex').slice(0, 16);
      const expected = execFileSync('openssl', ['passwd', '-6', '-salt', salt, '-stdin'], { input: site.password, encoding: 'utf8' }).trim();
      expect(written[i]!.split('\n')[1]).to.equal(`${site.username}:${expected}`);
      expect(expected.startsWith(`$6$${salt}$`)).to.equal(true);
      const st = statSync(path.join(work, 'auth', `htpasswd-${site.name}`));
      expect((st.mode & 0o777).toString(8)).to.equal('640');
    }
    const second = run();
    expect(second).to.match(/lb-insert-1\s*:\s*ok=\d+\s+changed=0/);
    expect(second).to.not.include('RELOAD-NOTIFIED');
    expect(sites.map((s) => readFileSync(path.join(work, 'auth', `htpasswd-${s.name}`), 'utf8'))).to.deep.equal(written);
  });
});
