/**
 * The inter-broker client's named edge cases: version negotiation against a real broker, an API
 * or version the node does not serve, an unreachable node and the reconnect backoff, a request
 * timeout, the in-flight bound, an oversized response, and a node that restarts.
 */
import t from 'tap';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Broker } from '../broker.js';
import { silentLogger } from '../logger.js';
import { ErrorCode } from '../protocol/errors.js';
import { ApiVersions, apiCodecs, BrokerHeartbeat, Metadata } from '../protocol/generated/index.js';
import { decodeRequestHeader, encodeResponseFrame } from '../protocol/header.js';
import { Reader } from '../protocol/wire.js';
import { tmpDataDir } from '../../compat-tests/harness.js';
import { NodeClient, NodeUnavailableError, RequestTimeoutError, UnsupportedVersionError, type NodeClientOptions } from './node-client.js';

const BASE: Omit<NodeClientOptions, 'port'> = { host: '127.0.0.1', clientId: 'test', requestTimeoutMs: 2000, connectTimeoutMs: 2000, reconnectBackoffMs: 50, inFlightMax: 5, responseBytesMax: 1 << 20 };
const METADATA_ALL = { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };

/**
 * A node that answers ApiVersions (Metadata 0-12 served) and then does what `onOther` says with
 * every other request: its correlation id and a function that answers it with a Metadata body.
 */
async function fakeNode(onOther: (correlationId: number, answer: () => void, socket: Socket) => void): Promise<{ server: Server; port: number; requests: number }> {
  const state = { requests: 0 };
  const server = createServer((socket) => {
    let buffered = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      buffered = Buffer.concat([buffered, d]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const frame = buffered.subarray(4, 4 + buffered.readInt32BE(0));
        buffered = buffered.subarray(4 + frame.length);
        const h = decodeRequestHeader(new Reader(frame));
        if (h.apiKey === ApiVersions.apiKey) {
          const body = { errorCode: 0, apiKeys: [{ apiKey: Metadata.apiKey, minVersion: 0, maxVersion: 12 }], throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1n, finalizedFeatures: [], zkMigrationReady: false };
          for (const piece of encodeResponseFrame(h.correlationId, 0, (w) => ApiVersions.encodeResponse(w, h.apiVersion, body))) socket.write(piece);
          continue;
        }
        state.requests++;
        onOther(h.correlationId, () => {
          const body = { throttleTimeMs: 0, brokers: [], clusterId: null, controllerId: -1, topics: [], clusterAuthorizedOperations: -2147483648, errorCode: 0 };
          for (const piece of encodeResponseFrame(h.correlationId, 1, (w) => Metadata.encodeResponse(w, 12, body))) socket.write(piece);
        }, socket);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, get requests() { return state.requests; } };
}

t.test('against a broker: the highest version both serve, and what it does not serve is refused locally', async (t) => {
  const data = tmpDataDir('sluice-node-client-');
  const broker = await Broker.start({ port: 0, dataDir: data.dir, logger: silentLogger });
  const client = new NodeClient({ ...BASE, port: broker.listenPort });
  t.teardown(async () => {
    client.close();
    await broker.stop();
    data.remove();
  });
  const md = await client.request(Metadata, METADATA_ALL);
  t.equal(md.brokers[0]?.nodeId, broker.nodeId);
  t.equal(client.negotiatedVersion(Metadata), broker.handlers.advertised().find((k) => k.apiKey === Metadata.apiKey)!.maxVersion);
  // An API whose codec knows a version the broker does not serve yet (whichever that is today).
  const advertised = broker.handlers.advertised();
  const ahead = advertised.map((k) => ({ k, codec: apiCodecs.get(k.apiKey)! })).find(({ k, codec }) => codec.maxVersion > k.maxVersion)!;
  t.ok(ahead, 'some API has a version not served yet');
  await t.rejects(client.request(ahead.codec, {} as never, { version: ahead.codec.maxVersion }), UnsupportedVersionError, 'a version the broker does not serve');
  await t.rejects(client.request(BrokerHeartbeat, {} as never), UnsupportedVersionError, 'an API it does not serve');
  const again = await client.request(Metadata, METADATA_ALL, { version: 4 });
  t.equal(again.brokers.length, 1, 'an explicit version it serves');
});

t.test('an unreachable node fails fast and the next attempt waits out the backoff', async (t) => {
  const probe = await fakeNode(() => {});
  const port = probe.port;
  await new Promise<void>((r) => probe.server.close(() => r()));
  const client = new NodeClient({ ...BASE, port, reconnectBackoffMs: 300 });
  t.teardown(() => client.close());
  await t.rejects(client.request(Metadata, METADATA_ALL), NodeUnavailableError);
  const t0 = Date.now();
  await t.rejects(client.request(Metadata, METADATA_ALL), NodeUnavailableError);
  t.ok(Date.now() - t0 >= 250, `waited ${Date.now() - t0} ms before reconnecting`);
});

t.test('a request not answered in time fails, the connection is dropped, the next one reconnects', async (t) => {
  let answerNext = false;
  const node = await fakeNode((_id, answer) => {
    if (answerNext) answer();
  });
  const client = new NodeClient({ ...BASE, port: node.port, requestTimeoutMs: 100 });
  t.teardown(() => {
    client.close();
    node.server.close();
  });
  await t.rejects(client.request(Metadata, METADATA_ALL), RequestTimeoutError);
  answerNext = true;
  const md = await client.request(Metadata, METADATA_ALL);
  t.equal(md.errorCode, ErrorCode.NONE, 'answered on a new connection');
});

t.test('no more than inFlightMax requests are outstanding; the rest wait their turn, in order', async (t) => {
  const held: Array<() => void> = [];
  let maxOutstanding = 0;
  const node = await fakeNode((_id, answer) => {
    held.push(answer);
    maxOutstanding = Math.max(maxOutstanding, held.length);
    setTimeout(() => held.shift()?.(), 20);
  });
  const client = new NodeClient({ ...BASE, port: node.port, inFlightMax: 2 });
  t.teardown(() => {
    client.close();
    node.server.close();
  });
  const order: number[] = [];
  await Promise.all([0, 1, 2, 3, 4, 5].map((i) => client.request(Metadata, METADATA_ALL).then(() => order.push(i))));
  t.equal(maxOutstanding, 2);
  t.same(order, [0, 1, 2, 3, 4, 5]);
});

t.test('a response larger than responseBytesMax closes the connection', async (t) => {
  const node = await fakeNode((_id, _answer, socket) => {
    const size = Buffer.alloc(4);
    size.writeInt32BE(10 << 20);
    socket.write(size);
  });
  const client = new NodeClient({ ...BASE, port: node.port });
  t.teardown(() => {
    client.close();
    node.server.close();
  });
  await t.rejects(client.request(Metadata, METADATA_ALL), NodeUnavailableError);
});

t.test('a node that goes away fails what is in flight; requests succeed again once it is back', async (t) => {
  const sockets: Socket[] = [];
  let answer = false;
  const node = await fakeNode((_id, reply, socket) => {
    sockets.push(socket);
    if (answer) reply();
  });
  const client = new NodeClient({ ...BASE, port: node.port });
  t.teardown(() => {
    client.close();
    node.server.close();
  });
  const inFlight = client.request(Metadata, METADATA_ALL);
  await new Promise((r) => setTimeout(r, 50));
  for (const s of sockets) s.destroy();
  await t.rejects(inFlight, NodeUnavailableError);
  answer = true;
  t.equal((await client.request(Metadata, METADATA_ALL)).errorCode, ErrorCode.NONE);
});
