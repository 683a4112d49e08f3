/**
 * The cluster operations over HTTP (control/cluster-ops.ts), on the admin endpoint of the node
 * they concern (a cluster's Cluster handle sends each to the right node):
 *
 *   POST /cluster/move-leader     {"topic": "t", "partition": 0, "broker": 2} -> {"topic", "partition", "leader", "leaderEpoch"}
 *   POST /cluster/pin-coordinator {"group": "g", "broker": 2} or {"transactionalId": "x", "broker": 2} -> the same
 *        (both on the node with the controller role; 409 on a broker-only node)
 *   POST /cluster/down, POST /cluster/up          this node's broker stops answering / answers again -> {"nodeId", "down"}
 *   GET  /cluster                                 {"nodeId", "controller", "down", "hiddenBrokers", "kafkaVersion"}
 *   POST /cluster/hide {"broker": 2}, POST /cluster/unhide {"broker": 2} -> {"hiddenBrokers": [...]} (this node's answers)
 *   GET  /kafka-version                           {"version", "source", "mode", "apis", "gaps"}
 *   PUT  /kafka-version {"version": "2.8"}         advertise that release's ranges ({"version": null}: Sluice's own)
 *   PUT  /api-versions {"apiKey": 3, "minVersion": 0, "maxVersion": 9}   one API's range over the release's
 *        ({"apiKey": 3, "disabled": true}: not advertised, its requests close the connection); DELETE /api-versions: none
 *   POST /cluster/read-replica {"topic": "t", "partition": 0, "broker": 2}   consumers (Fetch v11+) told to read
 *        there (KIP-392's preferred read replica), on the partition's leader; {"broker": null} undoes it
 *   POST /cluster/shuffle-leaders {"seed": 7}     every partition with another live ISR member gets a new leader
 *   POST /log/retention, POST /log/compact        retention / a cleaner pass now, at the clock's time
 *   GET  /kafka4-notes                            [{"clientId", "clientSoftware", "clientSoftwareVersion", "notes": [...]}]
 *   DELETE /kafka4-notes                          forgets them -> 204
 *
 * A refused operation is 409 {"error": "..."} (404 for an unknown topic or partition); a malformed
 * body 400.
 */
import type { ServerResponse } from 'node:http';
import { ConfigError } from '../config/config-error.js';
import { ClusterOpError, type ClusterOps } from '../control/cluster-ops.js';

type Send = (res: ServerResponse, status: number, payload?: unknown) => void;

function object(text: string, example: string): Record<string, unknown> {
  const v: unknown = text.trim() === '' ? {} : JSON.parse(text);
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ConfigError(`the body is a JSON object, e.g. ${example}`);
  return v as Record<string, unknown>;
}

function int(body: Record<string, unknown>, key: string, example: string): number {
  const v = body[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new ConfigError(`"${key}" must be a non-negative integer, e.g. ${example}`);
  return v;
}

function only(body: Record<string, unknown>, keys: string[]): void {
  for (const k of Object.keys(body)) if (!keys.includes(k)) throw new ConfigError(`unknown field "${k}"; fields: ${keys.join(', ')}`);
}

/**
 * Serves the request if it is one of these routes: true when answered, false when the path is not
 * one of them. Throws ConfigError / SyntaxError for a bad body (the server answers 400).
 */
export async function clusterRoute(ops: ClusterOps, method: string, path: string, body: () => Promise<string>, res: ServerResponse, send: Send): Promise<boolean> {
  try {
    return await route(ops, method, path, body, res, send);
  } catch (err) {
    if (err instanceof ClusterOpError) {
      send(res, err.status, { error: err.message });
      return true;
    }
    throw err;
  }
}

async function route(ops: ClusterOps, method: string, path: string, body: () => Promise<string>, res: ServerResponse, send: Send): Promise<boolean> {
  const state = (): Record<string, unknown> => ({ nodeId: ops.nodeId, controller: ops.hasController, down: ops.isDown, hiddenBrokers: [...ops.hiddenBrokers].sort((a, b) => a - b), kafkaVersion: ops.kafkaVersionView().version });
  if (path === '/cluster' && method === 'GET') {
    send(res, 200, state());
    return true;
  }
  if (path === '/cluster/move-leader' && method === 'POST') {
    const ex = '{"topic": "t", "partition": 0, "broker": 2}';
    const b = object(await body(), ex);
    only(b, ['topic', 'partition', 'broker']);
    if (typeof b['topic'] !== 'string' || b['topic'] === '') throw new ConfigError(`"topic" must be a topic name, e.g. ${ex}`);
    send(res, 200, ops.moveLeader(b['topic'], int(b, 'partition', ex), int(b, 'broker', ex)));
    return true;
  }
  if (path === '/cluster/pin-coordinator' && method === 'POST') {
    const ex = '{"group": "g", "broker": 2}';
    const b = object(await body(), ex);
    only(b, ['group', 'transactionalId', 'broker']);
    for (const k of ['group', 'transactionalId']) if (b[k] !== undefined && typeof b[k] !== 'string') throw new ConfigError(`"${k}" must be a string`);
    send(res, 200, ops.pinCoordinator({ ...(b['group'] !== undefined ? { group: b['group'] as string } : {}), ...(b['transactionalId'] !== undefined ? { transactionalId: b['transactionalId'] as string } : {}) }, int(b, 'broker', ex)));
    return true;
  }
  if ((path === '/cluster/down' || path === '/cluster/up') && method === 'POST') {
    if (path === '/cluster/down') await ops.down();
    else await ops.up();
    send(res, 200, { nodeId: ops.nodeId, down: ops.isDown });
    return true;
  }
  if ((path === '/cluster/hide' || path === '/cluster/unhide') && method === 'POST') {
    const ex = '{"broker": 2}';
    const b = object(await body(), ex);
    only(b, ['broker']);
    send(res, 200, { hiddenBrokers: ops.hideBroker(int(b, 'broker', ex), path === '/cluster/hide') });
    return true;
  }
  if (path === '/kafka-version' && method === 'GET') {
    send(res, 200, ops.kafkaVersionView());
    return true;
  }
  if (path === '/kafka-version' && (method === 'PUT' || method === 'POST')) {
    const b = object(await body(), '{"version": "2.8"}');
    only(b, ['version']);
    const v = b['version'];
    if (v !== null && typeof v !== 'string') throw new ConfigError('"version" is a Kafka release such as "2.8", or null for Sluice\'s own ranges');
    send(res, 200, ops.setKafkaVersion(v));
    return true;
  }
  if (path === '/api-versions' && (method === 'PUT' || method === 'POST')) {
    const ex = '{"apiKey": 3, "minVersion": 0, "maxVersion": 9} or {"apiKey": 3, "disabled": true}';
    const b = object(await body(), ex);
    only(b, ['apiKey', 'minVersion', 'maxVersion', 'disabled']);
    const apiKey = int(b, 'apiKey', ex);
    send(res, 200, ops.setApiVersions(apiKey, b['disabled'] === true ? null : { minVersion: int(b, 'minVersion', ex), maxVersion: int(b, 'maxVersion', ex) }));
    return true;
  }
  if (path === '/api-versions' && method === 'DELETE') {
    send(res, 200, ops.clearApiVersions());
    return true;
  }
  if (path === '/cluster/read-replica' && method === 'POST') {
    const ex = '{"topic": "t", "partition": 0, "broker": 2} (broker null: back to the rack-aware choice)';
    const b = object(await body(), ex);
    only(b, ['topic', 'partition', 'broker']);
    if (typeof b['topic'] !== 'string') throw new ConfigError(`"topic" is a topic name, e.g. ${ex}`);
    send(res, 200, ops.setReadReplica(b['topic'], int(b, 'partition', ex), b['broker'] === null ? null : int(b, 'broker', ex)));
    return true;
  }
  if (path === '/cluster/shuffle-leaders' && method === 'POST') {
    const b = object(await body(), '{"seed": 7}');
    only(b, ['seed']);
    send(res, 200, ops.shuffleLeaders(b['seed'] === undefined ? undefined : int(b, 'seed', '{"seed": 7}')));
    return true;
  }
  if (path === '/log/retention' && method === 'POST') {
    send(res, 200, { segmentsDeleted: ops.applyRetentionNow() });
    return true;
  }
  if (path === '/log/compact' && method === 'POST') {
    send(res, 200, ops.compactNow());
    return true;
  }
  if (path === '/kafka4-notes' && method === 'GET') {
    send(res, 200, ops.kafka4Notes.list());
    return true;
  }
  if (path === '/kafka4-notes' && method === 'DELETE') {
    ops.kafka4Notes.clear();
    send(res, 204);
    return true;
  }
  return false;
}
