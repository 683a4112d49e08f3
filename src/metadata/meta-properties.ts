/**
 * meta.properties: the identity of a formatted data directory, as `kafka-storage format` writes it.
 *
 * Format (Java properties, version 1, KRaft):
 *   version=1
 *   cluster.id=<22-char base64url uuid>
 *   node.id=<int>
 *   directory.id=<22-char base64url uuid>
 * Written to a temporary file, fsynced, then renamed over the old one, so a crash leaves either
 * the old file or the new one. A directory without this file is not formatted.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseProperties } from '../config/broker-config.js';

export const META_PROPERTIES = 'meta.properties';

export interface MetaProperties {
  clusterId: string;
  nodeId: number;
  directoryId: string;
}

/** A new random id in Kafka's printed form (16 bytes, base64url, no padding). */
export function randomUuidString(): string {
  for (;;) {
    const b = randomBytes(16);
    // Kafka avoids ids whose string form starts with '-' (awkward on command lines).
    const s = b.toString('base64url');
    if (!s.startsWith('-')) return s;
  }
}

export function isValidClusterId(id: string): boolean {
  return /^[A-Za-z0-9_-]{22}$/.test(id) && Buffer.from(id, 'base64url').length === 16;
}

export function readMetaProperties(dataDir: string): MetaProperties | null {
  const path = join(dataDir, META_PROPERTIES);
  if (!existsSync(path)) return null;
  const props = parseProperties(readFileSync(path, 'utf8'), path);
  const version = props.get('version');
  if (version !== '1') {
    throw new ConfigError(`${path}: unsupported meta.properties version ${version ?? '(missing)'}; this directory was not formatted by a KRaft broker`);
  }
  const clusterId = props.get('cluster.id');
  const nodeId = props.get('node.id');
  if (!clusterId || !nodeId || !/^\d+$/.test(nodeId)) {
    throw new ConfigError(`${path}: missing cluster.id or node.id; reformat with "sluice format --data-dir ${dataDir}"`);
  }
  return { clusterId, nodeId: Number(nodeId), directoryId: props.get('directory.id') ?? '' };
}

export function writeMetaProperties(dataDir: string, meta: MetaProperties): void {
  mkdirSync(dataDir, { recursive: true });
  const text = [
    '#Written by sluice format',
    'version=1',
    `cluster.id=${meta.clusterId}`,
    `node.id=${meta.nodeId}`,
    `directory.id=${meta.directoryId}`,
    '',
  ].join('\n');
  const path = join(dataDir, META_PROPERTIES);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  fsyncDir(dataDir);
}

export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
