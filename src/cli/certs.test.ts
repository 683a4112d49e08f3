import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { CLI } from '../../compat-tests/harness.js';
import { loadBrokerConfig } from '../config/broker-config.js';
import { tlsListener } from '../net/tls.js';

const sluice = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30000 });
const dir = mkdtempSync(join(tmpdir(), 'sluice-certs-cli-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

t.test('sluice certs writes the files and prints a server.properties snippet that loads', async (t) => {
  const out = join(dir, 'certs');
  const run = sluice('certs', '--out', out, '--days', '10', '--host', 'kafka.local', '--client-cn', 'svc-orders');
  t.equal(run.status, 0, run.stderr);
  t.equal(run.stderr, '');
  t.same(readdirSync(out).sort(), ['ca-key.pem', 'ca.pem', 'client-cert.pem', 'client-key.pem', 'client.p12', 'client.pem', 'server-cert.pem', 'server-key.pem', 'server.p12', 'server.pem', 'truststore.p12']);
  t.match(run.stdout, /^Wrote a dev CA, a server certificate and a client certificate \(CN=svc-orders\) to .*, valid 10 days\n/);
  const password = /PKCS12 password \(server.p12, client.p12, truststore.p12\): (\S+)\n/.exec(run.stdout)?.[1];
  t.ok(password, 'the password is printed');
  t.match(new X509Certificate(readFileSync(join(out, 'server-cert.pem'))).subjectAltName, 'DNS:kafka.local');

  // The printed lines (PEM, then the commented PKCS12 variant) configure a listener as they are.
  const lines = run.stdout.split('\n').filter((l) => /^#?\s*ssl\./.test(l));
  const pem = Object.fromEntries(lines.filter((l) => !l.startsWith('#')).map((l) => l.split('=') as [string, string]));
  const p12 = Object.fromEntries(lines.filter((l) => l.startsWith('#')).map((l) => l.replace(/^#\s*/, '').split('=') as [string, string]));
  t.equal(p12['ssl.keystore.password'], password);
  for (const props of [pem, p12]) {
    const config = loadBrokerConfig({
      properties: {
        'process.roles': 'broker,controller',
        'node.id': '1',
        'controller.quorum.voters': '1@127.0.0.1:9094',
        listeners: 'SSL://127.0.0.1:9093,CONTROLLER://127.0.0.1:9094',
        'controller.listener.names': 'CONTROLLER',
        'listener.security.protocol.map': 'SSL:SSL,CONTROLLER:PLAINTEXT',
        'inter.broker.listener.name': 'SSL',
        'log.dirs': join(dir, 'data'),
        ...props,
      },
    });
    t.doesNotThrow(() => tlsListener(config, 'SSL'), Object.keys(props).join(','));
  }
});

t.test('sluice certs: bad arguments are one line, exit 1', async (t) => {
  const noOut = sluice('certs');
  t.equal(noOut.status, 1);
  t.match(noOut.stderr, /^sluice: Missing required argument: out\n$/);
  const badDays = sluice('certs', '--out', join(dir, 'x'), '--days', '0');
  t.equal(badDays.status, 1);
  t.equal(badDays.stderr, 'sluice: --days must be a positive integer, got 0\n');
});
