// Every role's defaults/main.yml and meta/argument_specs.yml agree: each default is an option of
// some entry point, and each option either is required (then no file gives it a default) or has
// `default:` equal to the value in defaults/main.yml (the same text for computed "{{ ... }}" ones).
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import yaml from 'js-yaml';

const ROLES_DIR = 'ansible/roles';

interface OptionSpec {
  required?: boolean;
  default?: unknown;
}

function load(path: string): unknown {
  return existsSync(path) ? yaml.load(readFileSync(path, 'utf8')) : undefined;
}

function roleDefaultProblems(role: string): string[] {
  const defaults = (load(`${ROLES_DIR}/${role}/defaults/main.yml`) ?? {}) as Record<string, unknown>;
  const specs = (load(`${ROLES_DIR}/${role}/meta/argument_specs.yml`) as { argument_specs?: Record<string, { options?: Record<string, OptionSpec> }> } | undefined)
    ?.argument_specs;
  if (!specs) return [`${role}: meta/argument_specs.yml is missing`];
  const problems: string[] = [];
  const specified = new Set<string>();
  for (const [entry, spec] of Object.entries(specs)) {
    for (const [name, option] of Object.entries(spec.options ?? {})) {
      specified.add(name);
      const where = `${role}: argument_specs ${entry}.${name}`;
      if (option.required) {
        if (name in defaults) problems.push(`${where} is required but defaults/main.yml sets it`);
        if ('default' in option) problems.push(`${where} is required and has a default`);
      } else if (!(name in defaults)) {
        problems.push(`${where} is optional but defaults/main.yml does not set it`);
      } else if (!('default' in option)) {
        problems.push(`${where} has no default: (defaults/main.yml: ${JSON.stringify(defaults[name])})`);
      } else if (JSON.stringify(option.default) !== JSON.stringify(defaults[name])) {
        problems.push(`${where} default ${JSON.stringify(option.default)} differs from defaults/main.yml ${JSON.stringify(defaults[name])}`);
      }
    }
  }
  for (const name of Object.keys(defaults)) {
    if (!specified.has(name)) problems.push(`${role}: defaults/main.yml sets ${name}, which no entry point of argument_specs lists`);
  }
  return problems;
}

describe('role defaults and argument specs', () => {
  const roles = readdirSync(ROLES_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();

  it('finds the roles', () => {
    expect(roles).to.include.members(['vmstorage', 'vminsert', 'vmselect', 'vmagent', 'node_exporter', 'vmha_service']);
  });

  for (const role of roles) {
    it(`${role}: every option has its default in both files, or is required in both`, () => {
      expect(roleDefaultProblems(role)).to.deep.equal([]);
    });
  }
});
