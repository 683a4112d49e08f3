/**
 * "Will this work on Kafka 4?" (issue 14, item 6): notes about what a client does that Apache Kafka
 * 4.0 no longer accepts.
 *
 * - API versions KIP-896 removed: every version a Kafka 3.9 broker served below the lowest a 4.0
 *   broker serves, from the recorded ranges of both (kafka-releases.ts), plus Produce v0-2, which
 *   4.0 still advertises (librdkafka turns compression off otherwise, KAFKA-18659) but refuses.
 *   A client is noted whether or not Sluice serves the version (Sluice, like Kafka 4, mostly
 *   does not: the note says why the client was refused).
 * - Configs 4.0 removed, where Sluice sees them in a request: topic configs in CreateTopics,
 *   AlterConfigs and IncrementalAlterConfigs (message.format.version, message.downconversion.enable,
 *   message.timestamp.difference.max.ms) and their broker-wide forms (log.message.format.version, ...).
 *
 * `requestNotes(apiKey, version, request)` is pure: what the request log shows for one request.
 * `Kafka4Notes` remembers them per client (client id, software name and version): each distinct
 * note is logged once per client as a WARN line, and `list()` (GET /kafka4-notes) shows them.
 * Bounded: at most CLIENTS_MAX clients and NOTES_PER_CLIENT_MAX notes each are kept (then counted only).
 */
import type { Logger } from '../logger.js';
import { KAFKA_RELEASES } from './kafka-releases.js';
import { apiName } from './kafka-version.js';

const CLIENTS_MAX = 1000;
const NOTES_PER_CLIENT_MAX = 64;

/** Topic configs Kafka 4.0 removed, and the broker configs that were their defaults. */
export const REMOVED_TOPIC_CONFIGS: ReadonlyMap<string, string> = new Map([
  ['message.format.version', 'KIP-724'],
  ['message.downconversion.enable', 'KIP-896'],
  ['message.timestamp.difference.max.ms', 'KIP-937; use message.timestamp.before.max.ms / message.timestamp.after.max.ms'],
]);
export const REMOVED_BROKER_CONFIGS: ReadonlyMap<string, string> = new Map([
  ['log.message.format.version', 'KIP-724'],
  ['log.message.downconversion.enable', 'KIP-896'],
  ['log.message.timestamp.difference.max.ms', 'KIP-937; use log.message.timestamp.before.max.ms / log.message.timestamp.after.max.ms'],
]);

/** For each API a 3.9 broker and a 4.0 broker both serve: 4.0's lowest version, where 3.9's was lower. */
function removedBelow(): Map<number, { min39: number; min40: number }> {
  const old = KAFKA_RELEASES['3.9'];
  const now = KAFKA_RELEASES['4.0'];
  const out = new Map<number, { min39: number; min40: number }>();
  if (!old || !now) return out;
  const min40 = new Map(now.apis.map(([k, lo]) => [k, lo]));
  for (const [k, lo] of old.apis) {
    const m = min40.get(k);
    if (m !== undefined && lo < m) out.set(k, { min39: lo, min40: m });
  }
  // Produce: 4.0 advertises 0-2 but refuses them (KIP-896, KAFKA-18659).
  if (!out.has(0)) out.set(0, { min39: 0, min40: 3 });
  return out;
}

const REMOVED = removedBelow();
const NO_NOTES: readonly string[] = Object.freeze([]);

/** The versions Kafka 4.0 removed, by API key: [lowest removed, highest removed]. */
export function removedVersions(): Map<number, [number, number]> {
  return new Map([...REMOVED].map(([k, r]) => [k, [r.min39, r.min40 - 1]]));
}

interface ConfigEntry {
  name: string;
}
interface ConfigResource {
  resourceType: number;
  configs: readonly ConfigEntry[];
}

/** The notes for one request: its version (any request), its configs (CreateTopics, AlterConfigs, IncrementalAlterConfigs). */
export function requestNotes(apiKey: number, version: number, request: unknown = null): string[] {
  const notes: string[] = [];
  const r = REMOVED.get(apiKey);
  if (r && version < r.min40) notes.push(`${apiName(apiKey)} v${version} was removed in Kafka 4.0 (KIP-896): Kafka 4 serves ${apiName(apiKey)} v${r.min40} and later`);
  if (request === null || typeof request !== 'object') return notes;
  const seen = new Set<string>();
  const config = (name: string, broker: boolean): void => {
    const why = (broker ? REMOVED_BROKER_CONFIGS : REMOVED_TOPIC_CONFIGS).get(name);
    if (!why || seen.has(name)) return;
    seen.add(name);
    notes.push(`${broker ? 'broker' : 'topic'} config ${name} was removed in Kafka 4.0 (${why}); ${apiName(apiKey)} with it fails there`);
  };
  if (apiKey === 19) {
    for (const t of (request as { topics?: Array<{ configs?: ConfigEntry[] }> }).topics ?? []) for (const c of t.configs ?? []) config(c.name, false);
  } else if (apiKey === 33 || apiKey === 44) {
    // Resource type 2 is a topic, 4 a broker (Kafka's ConfigResource.Type).
    for (const res of (request as { resources?: ConfigResource[] }).resources ?? []) {
      for (const c of res.configs ?? []) config(c.name, res.resourceType === 4);
    }
  }
  return notes;
}

export interface ClientNotes {
  clientId: string | null;
  clientSoftware: string | null;
  clientSoftwareVersion: string | null;
  /** Each distinct note once, in the order first seen, with how often it applied. */
  notes: Array<{ note: string; count: number; firstMs: number; lastMs: number }>;
}

/** Who sent a request: what `observe` needs of a connection's session. */
export interface NoteClient {
  readonly clientSoftwareName: string | null;
  readonly clientSoftwareVersion: string | null;
}

export class Kafka4Notes {
  private readonly clients = new Map<string, ClientNotes>();
  /** Notes not kept because a bound was reached. */
  dropped = 0;

  constructor(private readonly log: Logger | null = null) {}

  /** Notes the request of `client` and returns its notes (empty for almost every request). */
  observe(client: NoteClient, clientId: string | null, apiKey: number, version: number, request: unknown): readonly string[] {
    // The hot path (every request): one map lookup, nothing allocated.
    if (request === null) {
      const r = REMOVED.get(apiKey);
      if (r === undefined || version >= r.min40) return NO_NOTES;
    }
    // Configs are looked at once the request is decoded; its version was looked at before.
    const notes = request === null ? requestNotes(apiKey, version) : requestNotes(apiKey, version, request).filter((n) => n.includes(' config '));
    if (notes.length === 0) return notes;
    const key = JSON.stringify([clientId, client.clientSoftwareName, client.clientSoftwareVersion]);
    let c = this.clients.get(key);
    if (!c) {
      if (this.clients.size >= CLIENTS_MAX) {
        this.dropped += notes.length;
        return notes;
      }
      c = { clientId, clientSoftware: client.clientSoftwareName, clientSoftwareVersion: client.clientSoftwareVersion, notes: [] };
      this.clients.set(key, c);
    }
    const now = Date.now();
    for (const note of notes) {
      const had = c.notes.find((n) => n.note === note);
      if (had) {
        had.count++;
        had.lastMs = now;
        continue;
      }
      if (c.notes.length >= NOTES_PER_CLIENT_MAX) {
        this.dropped++;
        continue;
      }
      c.notes.push({ note, count: 1, firstMs: now, lastMs: now });
      const who = `client ${clientId === null ? '(no id)' : `"${clientId}"`}${c.clientSoftware ? ` (${c.clientSoftware} ${c.clientSoftwareVersion ?? ''})`.replace(' )', ')') : ''}`;
      this.log?.warn(`will not work on Kafka 4: ${who}: ${note}`);
    }
    return notes;
  }

  list(): ClientNotes[] {
    return [...this.clients.values()].map((c) => ({ ...c, notes: c.notes.map((n) => ({ ...n })) }));
  }

  clear(): void {
    this.clients.clear();
    this.dropped = 0;
  }
}
