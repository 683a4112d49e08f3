/** The sluice command as a user runs it: format, start, and the one-line errors. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { CLI, freePortRun, spawnBroker, tmpDataDir } from '../../compat-tests/harness.js';
import { RawClient } from '../../compat-tests/raw-client.js';
import { ApiVersions, CreateTopics } from '../protocol/generated/index.js';

const sluice = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20000 });

t.test('format writes meta.properties; a second format refuses', async (t) => {
  const d = tmpDataDir();
  t.teardown(d.remove);
  const id = sluice('random-uuid').stdout.trim();
  t.match(id, /^[A-Za-z0-9_-]{22}$/);
  const res = sluice('format', '--data-dir', d.dir, '--cluster-id', id, '--node-id', '3');
  t.equal(res.status, 0, res.stderr);
  t.match(res.stdout, new RegExp(`cluster id ${id}`));
  const meta = readFileSync(join(d.dir, 'meta.properties'), 'utf8');
  t.match(meta, /version=1/);
  t.match(meta, new RegExp(`cluster.id=${id}`));
  t.match(meta, /node.id=3/);
  t.ok(existsSync(join(d.dir, '__cluster_metadata-0')), 'metadata log created');
  const again = sluice('format', '--data-dir', d.dir);
  t.equal(again.status, 1);
  t.match(again.stderr, /already formatted/);
  const badId = sluice('format', '--data-dir', join(d.dir, 'other'), '--cluster-id', 'nope');
  t.equal(badId.status, 1);
  t.match(badId.stderr, /not a 22-character base64url uuid/);
});

t.test('format --feature sets a feature level (kafka-storage format --feature); the broker reports it', async (t) => {
  const d = tmpDataDir();
  t.teardown(d.remove);
  const bad = sluice('format', '--data-dir', join(d.dir, 'bad'), '--feature', 'transaction.version=7');
  t.equal(bad.status, 1);
  t.match(bad.stderr, /transaction\.version: level 7 is not supported \(0-2\)/);
  const unknown = sluice('format', '--data-dir', join(d.dir, 'unknown'), '--feature', 'nope.version=1');
  t.equal(unknown.status, 1);
  t.match(unknown.stderr, /unknown feature nope\.version/);
  const res = sluice('format', '--data-dir', d.dir, '--feature', 'transaction.version=1');
  t.equal(res.status, 0, res.stderr);
  const b = await spawnBroker({ dataDir: d.dir });
  t.teardown(() => b.stop());
  const raw = await RawClient.connect(b.port);
  t.teardown(() => raw.close());
  const res4 = await raw.request(ApiVersions, 4, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
  t.same(
    res4.finalizedFeatures.map((f) => `${f.name}=${f.maxVersionLevel}`).sort(),
    ['group.version=1', 'metadata.version=27', 'share.version=1', 'transaction.version=1'],
    'transactions v1 for this cluster: clients keep AddPartitionsToTxn and EndTxn below v5',
  );
});

t.test('format -c server.properties takes log.dirs, node.id and process.roles from it, as kafka-storage format does', async (t) => {
  const d = tmpDataDir();
  t.teardown(d.remove);
  const props = join(d.dir, 'server.properties');
  const dataDir = join(d.dir, 'data');
  writeFileSync(props, `process.roles=broker\nnode.id=7\ncontroller.quorum.voters=1@127.0.0.1:9093\ncontroller.listener.names=CONTROLLER\nlisteners=PLAINTEXT://127.0.0.1:9092\nlog.dirs=${dataDir}\n`);
  const missingId = sluice('format', '-c', props);
  t.equal(missingId.status, 1);
  t.match(missingId.stderr, /broker-only node joins an existing cluster: give its id with --cluster-id/);
  const id = sluice('random-uuid').stdout.trim();
  const res = sluice('format', '-c', props, '-t', id);
  t.equal(res.status, 0, res.stderr);
  const meta = readFileSync(join(dataDir, 'meta.properties'), 'utf8');
  t.match(meta, /node.id=7/);
  t.match(meta, new RegExp(`cluster.id=${id}`));
  const none = sluice('format');
  t.equal(none.status, 1);
  t.match(none.stderr, /say which data directory to format/);
});

t.test('start on a formatted directory keeps its cluster id; a node id mismatch is refused', async (t) => {
  const d = tmpDataDir();
  t.teardown(d.remove);
  const id = sluice('random-uuid').stdout.trim();
  t.equal(sluice('format', '--data-dir', d.dir, '--cluster-id', id).status, 0);
  const b = await spawnBroker({ dataDir: d.dir });
  t.match(b.output(), new RegExp(`cluster ${id}, node 1, ready in [\\d.]+ ms`));
  t.equal(await b.stop(), 0);
  const mismatch = sluice('start', '--data-dir', d.dir, '--port', '0', '--override', 'node.id=2');
  t.equal(mismatch.status, 1);
  t.match(mismatch.stderr, /belongs to node 1, but node.id is 2/);
});

t.test('start formats a new directory itself and says so', async (t) => {
  const d = tmpDataDir();
  t.teardown(d.remove);
  const b = await spawnBroker({ dataDir: join(d.dir, 'fresh') });
  t.match(b.output(), /formatted .*fresh \(cluster id [A-Za-z0-9_-]{22}, node id 1\)/);
  t.equal(await b.stop(), 0);
});

t.test('bad flags and values: one line, exit 1', async (t) => {
  for (const args of [['start', '--port', 'abc'], ['start', '--port', '70000'], ['start', '--bogus'], ['start', '--override', 'num.partitions=-3'], ['start', '--config', '/no/such/file'], ['frobnicate']]) {
    const res = sluice(...args);
    t.equal(res.status, 1, `${args.join(' ')} exits 1`);
    t.match(res.stderr, /^sluice: .+/, `${args.join(' ')}: ${res.stderr.trim()}`);
  }
});

t.test('start reads its flags the same with or without yargs (fast path vs the full parser)', async (t) => {
  const d = tmpDataDir();
  t.teardown(d.remove);
  const lines = [
    // parseArgs fast path: --flag=value, a repeated --override (the last one is bad)
    ['start', `--data-dir=${d.dir}`, '--port=0', '--override', 'log.retention.ms=1000', '--override', 'num.partitions=-3'],
    // yargs only: several values after one --override
    ['start', '--data-dir', d.dir, '--port', '0', '--override', 'log.retention.ms=1000', 'num.partitions=-3'],
  ];
  for (const args of lines) {
    const res = sluice(...args);
    t.equal(res.status, 1, args.join(' '));
    t.match(res.stderr, /^sluice: .*num\.partitions/, `both overrides were read: ${res.stderr.trim()}`);
  }
});

t.test('a port in use is reported clearly', async (t) => {
  const d = tmpDataDir();
  t.teardown(d.remove);
  const b = await spawnBroker({ dataDir: join(d.dir, 'a') });
  t.teardown(() => b.stop());
  const res = sluice('start', '--data-dir', join(d.dir, 'b'), '--port', String(b.port));
  t.equal(res.status, 1);
  t.match(res.stderr, /port \d+ on 127.0.0.1 is in use/);
});

/** What a failed start wrote to stderr besides the broker's own log lines. */
const problemLines = (stderr: string): string[] => stderr.split('\n').filter((l) => l !== '' && !/^\S+Z (DEBUG|INFO|WARN|ERROR) /.test(l));

t.test('start-up failures are one line naming the problem, never a stack trace', async (t) => {
  const d = tmpDataDir();
  t.teardown(d.remove);
  const b = await spawnBroker({ dataDir: join(d.dir, 'unsupported') });
  const c = await RawClient.connect(b.port);
  await c.request(CreateTopics, 7, { topics: [{ name: 't', numPartitions: 1, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 1000, validateOnly: false });
  c.close();
  t.equal(await b.stop(), 0);
  writeFileSync(join(d.dir, 'unsupported', 't-0', 'log-format'), 'sluice-log-format 9\n');
  writeFileSync(join(d.dir, 'a-file'), 'not a directory');
  t.equal(sluice('format', '--data-dir', join(d.dir, 'garbage')).status, 0);
  writeFileSync(join(d.dir, 'garbage', 'meta.properties'), Buffer.from([0, 0xff, 0x0a, 0x3d, 0x3d, 0x0a]));
  const cases: Array<[string, RegExp]> = [
    ['unsupported', /log format 9 is not supported/],
    ['a-file', /^sluice: cannot start: EEXIST/],
    ['garbage', /meta\.properties/],
  ];
  for (const [dir, expected] of cases) {
    const res = sluice('start', '--port', '0', '--data-dir', join(d.dir, dir));
    t.equal(res.status, 1, `${dir}: exit code 1`);
    const lines = problemLines(res.stderr);
    t.equal(lines.length, 1, `${dir}: one line: ${lines.join(' | ')}`);
    t.match(lines[0], /^sluice: /);
    t.match(lines[0], expected);
  }
});

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** `sluice cluster --brokers 1` on free ports, resolved once it printed its ready lines. */
async function spawnCluster(dir: string) {
  const port = await freePortRun(2);
  const proc = spawn(process.execPath, [CLI, 'cluster', '--brokers', '1', '--port', String(port), '--data-dir', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  proc.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const line = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ready line in 20 s: ${out} ${err}`)), 20000);
    proc.stdout.on('data', () => {
      const m = /^broker 0 ready on 127\.0\.0\.1:(\d+) \(pid (\d+)\)$/m.exec(out);
      if (m && /^cluster \S+ ready: bootstrap /m.test(out)) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${out} ${err}`)));
  });
  return { proc, port, line, exited, out: () => out, err: () => err };
}

t.test('cluster --brokers 1: one ready line per broker, SIGTERM stops the node and exits 0', async (t) => {
  const d = tmpDataDir();
  t.teardown(d.remove);
  const { proc, port, line, exited, out } = await spawnCluster(d.dir);
  t.teardown(() => void proc.kill('SIGKILL'));
  t.equal(Number(line[1]), port, 'the broker is on --port');
  const pid = Number(line[2]);
  t.ok(alive(pid), `the node runs as its own process, pid ${pid}`);
  t.not(pid, proc.pid, 'not the launcher');
  t.match(out(), new RegExp(`bootstrap 127\\.0\\.0\\.1:${port}, controller 127\\.0\\.0\\.1:${port + 1}`), 'the controller is on port + brokers');
  // The launcher copies the node's output to its log as it comes: the ready line may land just after.
  const logged = (): string => readFileSync(join(d.dir, 'node-0.log'), 'utf8');
  for (let i = 0; i < 100 && !/sluice ready on/.test(logged()); i++) await new Promise((r) => setTimeout(r, 20));
  t.match(logged(), /sluice ready on/, "the node's output goes to D/node-0.log");
  proc.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM: exit 0');
  t.notOk(alive(pid), 'and the node is gone');
  t.match(readFileSync(join(d.dir, 'node-0.log'), 'utf8'), /SIGTERM: shutting down[\s\S]*stopped/, 'stopped in order, not killed');
});

t.test('cluster: a node that dies is reported; with none left the launcher exits 1', async (t) => {
  const d = tmpDataDir();
  t.teardown(d.remove);
  const { proc, line, exited, err } = await spawnCluster(d.dir);
  t.teardown(() => void proc.kill('SIGKILL'));
  process.kill(Number(line[2]), 'SIGKILL');
  t.equal(await exited, 1);
  t.match(err(), new RegExp(`^sluice cluster: node 0 \\(pid ${line[2]}\\) exited on SIGKILL; its log: .*node-0\\.log\\nsluice: every node has exited\\n$`));
});

t.test('cluster: bad flags and a node that cannot start are one line, exit 1', async (t) => {
  const d = tmpDataDir();
  t.teardown(d.remove);
  for (const args of [['--brokers', '0'], ['--brokers', '2', '--port', '65534'], ['--port', '9092'], ['--brokers', '1', '--data-dir', '']]) {
    const res = sluice('cluster', ...args);
    t.equal(res.status, 1, `cluster ${args.join(' ')} exits 1`);
    t.match(res.stderr, /^sluice: .+\n$/, `cluster ${args.join(' ')}: ${res.stderr.trim()}`);
  }
  const port = await freePortRun(2);
  const squatter = createServer();
  await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', () => r()));
  t.teardown(() => void squatter.close());
  const res = spawnSync(process.execPath, [CLI, 'cluster', '--brokers', '1', '--port', String(port), '--data-dir', d.dir], { encoding: 'utf8', timeout: 20000 });
  t.equal(res.status, 1);
  t.equal(res.stdout, '', 'no ready line');
  t.match(res.stderr, new RegExp(`^sluice: node 0 exited with code 1 before it was ready \\(.*in use.*\\); its log: ${join(d.dir, 'node-0.log')}\\n$`));
});
