// The JSON Schemas: strict, described, in sync with schemas/*.json, positive and negative examples.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import yaml from 'js-yaml';
import { hostsSchema, settingsSchema } from '../scripts/lib/inventory/schema.js';
import { renderSchemaFiles, SCHEMAS_DIR } from '../scripts/lib/inventory/schema-files.js';

const example = path.join(path.dirname(SCHEMAS_DIR), 'ansible', 'inventories', 'example');

function compileFile(name: string) {
  const ajv = new Ajv({ strict: true, allErrors: true });
  return ajv.compile(JSON.parse(readFileSync(path.join(SCHEMAS_DIR, name), 'utf8')));
}

/** Every object schema node below `node`, with its JSON path. */
function* objectNodes(node: unknown, at = '#'): Generator<[string, Record<string, unknown>]> {
  if (typeof node !== 'object' || node === null) return;
  const obj = node as Record<string, unknown>;
  if (obj.type === 'object' || (Array.isArray(obj.type) && obj.type.includes('object'))) yield [at, obj];
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'properties') {
      for (const [name, sub] of Object.entries(value as object)) yield* objectNodes(sub, `${at}/properties/${name}`);
    } else if (typeof value === 'object') yield* objectNodes(value, `${at}/${key}`);
  }
}

describe('inventory schemas', () => {
  for (const [name, schema] of [
    ['hosts.schema.json', hostsSchema],
    ['cluster-settings.schema.json', settingsSchema],
  ] as const) {
    describe(name, () => {
      it('is committed exactly as rendered from the typed schema (npm run generate -- --schemas)', () => {
        expect(readFileSync(path.join(SCHEMAS_DIR, name), 'utf8')).to.equal(renderSchemaFiles()[name]);
      });
      it('compiles in ajv strict mode, with an $id', () => {
        expect(() => compileFile(name)).to.not.throw();
        expect(schema.$id).to.match(/^https:\/\/.+\.schema\.json$/);
      });
      it('describes every property and closes every object', () => {
        const file = JSON.parse(readFileSync(path.join(SCHEMAS_DIR, name), 'utf8'));
        for (const [at, node] of objectNodes(file)) {
          expect(node.description, `${at} description`).to.be.a('string');
          const props = (node.properties ?? {}) as Record<string, { description?: string }>;
          for (const [prop, sub] of Object.entries(props)) expect(sub.description, `${at}.${prop}`).to.be.a('string');
          // maps keyed by host or group name restrict their values instead of their keys
          const closed = node.additionalProperties === false || typeof node.additionalProperties === 'object' || node.maxProperties === 0;
          expect(closed, `${at} additionalProperties`).to.equal(true);
        }
      });
    });
  }

  describe('hosts.schema.json examples', () => {
    const validate = compileFile('hosts.schema.json');
    it('accepts the example hosts.yml', () => {
      const data = yaml.load(readFileSync(path.join(example, 'hosts.yml'), 'utf8'));
      expect(validate(data), JSON.stringify(validate.errors)).to.equal(true);
    });
    it('accepts hosts without variables (null) and group connection vars', () => {
      expect(validate({ all: { vars: { ansible_user: 'x' }, children: { grafana: { hosts: { g: null }, vars: { ansible_port: 22 } } } } })).to.equal(true);
    });
    for (const [why, data] of [
      ['a group outside the contract', { all: { children: { prometheus: { hosts: {} } } } }],
      ['an unknown host variable', { all: { children: { grafana: { hosts: { g: { ansible_hostname: 'x' } } } } } }],
      ['a non-IPv4 vmha_address', { all: { children: { grafana: { hosts: { g: { vmha_address: '10.0.0.300' } } } } } }],
      ['a negative member number', { all: { children: { vmagent: { hosts: { a: { vmha_vmagent_member_num: -1 } } } } } }],
      ['a port out of range', { all: { children: { grafana: { hosts: { g: { ansible_port: 70000 } } } } } }],
      ['a missing all.children', { all: {} }],
      ['hosts directly under all', { all: { children: {}, hosts: { x: null } } }],
      ['an unknown child group', { all: { children: { node_exporter: { children: { nginx: null } } } } }],
    ] as const) {
      it(`rejects ${why}`, () => expect(validate(data)).to.equal(false));
    }
  });

  describe('cluster-settings.schema.json examples', () => {
    const validate = compileFile('cluster-settings.schema.json');
    it('accepts the example vmha.yml', () => {
      const data = yaml.load(readFileSync(path.join(example, 'group_vars', 'all', 'vmha.yml'), 'utf8'));
      expect(validate(data), JSON.stringify(validate.errors)).to.equal(true);
    });
    it('accepts an empty settings object and partial vmha_ports', () => {
      expect(validate({})).to.equal(true);
      expect(validate({ vmha_ports: { grafana: 3001 } })).to.equal(true);
    });
    for (const [why, data] of [
      ['an unknown key', { vmha_retenton: '2M' }],
      ['a version with v', { vmha_version: 'v1.151.0' }],
      ['a bare-number retention', { vmha_retention: '2' }],
      ['a string replication factor', { vmha_replication_factor: '2' }],
      ['an unknown port key', { vmha_ports: { vmauth: 8427 } }],
      ['a download URL with a trailing slash', { vmha_victoriametrics_download_url: 'https://x/' }],
      ['a tiny vmagent queue', { vmha_vmagent_queue_max_bytes: 10 }],
      ['a non-boolean switch', { vmha_auth_enabled: 'yes' }],
    ] as const) {
      it(`rejects ${why}`, () => expect(validate(data)).to.equal(false));
    }
  });
});
