// The definitions parser, and the check of every definition against Apache Kafka's JSON message
// schemas in ../shared/kafka-message-specs (4.1.1 for its valid versions, 3.9.1 below 4.1.1's
// floor). Facts compared per version: API key and name, versions, flexible versions, and the
// ordered field list with names, types, nullability, tags, defaults (and ignorable for 4.1.1).

import t, { type Test } from 'tap';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type ApiDef,
  type FieldDef,
  DefinitionError,
  formatRange,
  inRange,
  loadDefinitions,
  parseDefinition,
  parseRange,
} from './definitions.js';
import { generateAll } from './generate.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const apis = loadDefinitions(`${root}protocol/messages`);
const specsDir = `${root}../shared/kafka-message-specs`;

// ---------------------------------------------------------------------------------------------
// Parser

const GOOD = `# a comment
api 3 Metadata versions=0-2 flexible=1+

request
  Topics []MetadataRequestTopic 0+ null=1+
    Name string 0+
  Leader Leader 1+ tag=0
  Note string 0+ default=null null=0+ ignorable   # trailing comment

request struct Leader
  Id int32 1+ default=-1

response
  ThrottleTimeMs int32 0+
`;

t.test('parses a small definition', async (t) => {
  const api = parseDefinition('x/03-metadata.msg', GOOD);
  t.equal(api.key, 3);
  t.equal(api.name, 'Metadata');
  t.same(api.versions, { lo: 0, hi: 2 });
  t.same(api.flexible, { lo: 1, hi: Infinity });
  const [topics, leader, note] = api.request.root.fields as [FieldDef, FieldDef, FieldDef];
  t.equal(topics.prop, 'topics');
  t.equal(formatRange(topics.nullable), '1+');
  t.equal(topics.type.kind === 'array' && topics.type.element.kind === 'struct' && topics.type.element.struct.tsName, 'MetadataRequestTopic');
  t.equal(leader.tag, 0);
  t.equal(leader.type.kind === 'struct' && leader.type.struct.tsName, 'MetadataRequestLeader');
  t.equal(note.default, 'null');
  t.equal(note.ignorable, true);
});

const BAD: Array<[string, string, RegExp]> = [
  ['unknown type', GOOD.replace('Name string', 'Name strin'), /:6: unknown type strin/],
  ['unknown attribute', GOOD.replace('ignorable   #', 'ignorabel #'), /:8: unknown attribute ignorabel/],
  ['bad range', GOOD.replace('Name string 0+', 'Name string 2-1'), /:6: bad versions 2-1/],
  ['odd indent', GOOD.replace('    Name', '   Name'), /:6: indentation of 3 spaces/],
  ['too deep', GOOD.replace('    Name', '      Name'), /:6: field indented deeper/],
  ['nested under primitive', GOOD.replace('  Id int32 1+ default=-1', '  Id int32 1+ default=-1\n    X int8 0+'), /:12: field Id of type int32 cannot have nested fields/],
  ['duplicate field', GOOD.replace('    Name string 0+', '    Name string 0+\n    Name int8 0+'), /:7: duplicate field Name/],
  ['tag outside flexible', GOOD.replace('1+ tag=0', '0+ tag=0'), /:7: tagged fields must only exist in flexible versions/],
  ['null on int', GOOD.replace('Id int32 1+', 'Id int32 1+ null=1+'), /:11: int32 cannot be nullable/],
  ['default out of range', GOOD.replace('default=-1', 'default=99999999999'), /:11: int32 default 99999999999 out of range/],
  ['unused struct', `${GOOD}\nresponse struct Spare\n  X int8 0+\n`, /:16: struct Spare is never used/],
  ['missing struct', GOOD.replace('request struct Leader', 'request struct Leeder'), /:7: unknown type Leader/],
  ['wrong file name', GOOD, /must be named 03-metadata.msg/],
  ['no api line', 'request\n  X int8 0+\n', /:1: the file must start with an api line/],
  ['unknown keyword', GOOD.replace('response\n', 'reponse\n'), /:13: expected api, request or response/],
  ['tab', GOOD.replace('    Name', '\tName'), /:6: tabs are not allowed/],
];

for (const [name, text, error] of BAD) {
  t.test(`refuses: ${name}`, async (t) => {
    const file = name === 'wrong file name' ? 'x/04-metadata.msg' : 'x/03-metadata.msg';
    t.throws(() => parseDefinition(file, text), error);
    try {
      parseDefinition(file, text);
    } catch (e) {
      t.ok(e instanceof DefinitionError, 'a DefinitionError');
    }
  });
}

t.test('every definition file generates, deterministically, within size limits', async (t) => {
  const a = generateAll(apis);
  const b = generateAll(loadDefinitions(`${root}protocol/messages`));
  let total = 0;
  for (const [name, text] of a) {
    t.equal(text, b.get(name), `${name} is stable`);
    t.ok(text.startsWith('// Generated'), `${name} says it is generated`);
    t.ok(Buffer.byteLength(text) < 1 << 20, `${name} is under 1 MB`);
    total += Buffer.byteLength(text);
    const committed = `${root}src/protocol/generated/${name}`;
    t.ok(existsSync(committed) && readFileSync(committed, 'utf8') === text, `${name} is committed and up to date`);
  }
  t.ok(total < 3 << 20, `total ${total} bytes under 3 MB`);
});

// ---------------------------------------------------------------------------------------------
// Check against Kafka's schemas

interface JsonField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  ignorable?: boolean;
  fields?: JsonField[];
}

interface JsonMessage {
  apiKey: number;
  type: string;
  name: string;
  listeners?: string[];
  validVersions: string;
  flexibleVersions: string;
  latestVersionUnstable?: boolean;
  fields: JsonField[];
  commonStructs?: Array<{ name: string; fields: JsonField[] }>;
}

/** Drops `//` comments outside strings (the schemas are JSON with line comments). */
function stripComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else out += c;
  }
  return out;
}

function loadSpecs(dir: string): Map<string, JsonMessage> {
  const out = new Map<string, JsonMessage>();
  for (const f of readdirSync(dir)) {
    if (!f.endsWith('.json')) continue;
    const m = JSON.parse(stripComments(readFileSync(`${dir}/${f}`, 'utf8'))) as JsonMessage;
    out.set(m.name, m);
  }
  return out;
}

function normalizeDefault(d: string | number | boolean | null | undefined): string | undefined {
  if (d === undefined || d === null) return undefined;
  const s = String(d);
  if (s === '""') return '';
  if (/^-?(0x[0-9a-fA-F]+|\d+)$/.test(s)) {
    const neg = s.startsWith('-');
    const v = BigInt(neg ? s.slice(1) : s);
    return String(neg ? -v : v);
  }
  return s;
}

interface LayoutField {
  name: string;
  type: string;
  nullable: boolean;
  tag: number | null;
  default: string | undefined;
  ignorable?: boolean;
  children: LayoutField[] | null;
}

function jsonLayout(fields: JsonField[], v: number, structs: Map<string, JsonField[]>, withIgnorable: boolean): LayoutField[] {
  const out: LayoutField[] = [];
  for (const f of fields) {
    if (!inRange(parseRange(f.versions) ?? null, v)) continue;
    const element = f.type.replace(/^\[\]/, '');
    const nested = /^[A-Z]/.test(element) ? (f.fields ?? structs.get(element) ?? null) : null;
    out.push({
      name: f.name,
      type: f.type,
      nullable: inRange(parseRange(f.nullableVersions ?? 'none') ?? null, v),
      tag: inRange(parseRange(f.taggedVersions ?? 'none') ?? null, v) ? (f.tag ?? -1) : null,
      default: normalizeDefault(f.default),
      ...(withIgnorable ? { ignorable: f.ignorable === true } : {}),
      children: nested === null ? null : jsonLayout(nested, v, structs, withIgnorable),
    });
  }
  return out;
}

function ourLayout(fields: FieldDef[], v: number, withIgnorable: boolean): LayoutField[] {
  const out: LayoutField[] = [];
  for (const f of fields) {
    if (!inRange(f.versions, v)) continue;
    const t = f.type.kind === 'array' ? f.type.element : f.type;
    out.push({
      name: f.name,
      type: f.typeText,
      nullable: inRange(f.nullable, v),
      tag: f.tag,
      default: normalizeDefault(f.default),
      ...(withIgnorable ? { ignorable: f.ignorable } : {}),
      children: t.kind === 'struct' ? ourLayout(t.struct.fields, v, withIgnorable) : null,
    });
  }
  return out;
}

function checkApi(t: Test, api: ApiDef, newer: Map<string, JsonMessage>, older: Map<string, JsonMessage>): void {
  const req = newer.get(`${api.name}Request`);
  const res = newer.get(`${api.name}Response`);
  if (req === undefined || res === undefined) {
    t.fail(`${api.name}: no such API in Kafka 4.1.1`);
    return;
  }
  t.equal(api.key, req.apiKey, 'api key');
  t.equal(res.apiKey, req.apiKey, 'response api key');
  t.equal(req.validVersions, res.validVersions, 'Kafka: request and response versions agree');
  t.equal(req.flexibleVersions, res.flexibleVersions, 'Kafka: request and response flexible versions agree');
  t.equal(formatRange(api.flexible), req.flexibleVersions, 'flexible versions');
  t.equal(api.unstable !== null, req.latestVersionUnstable === true, 'latest version unstable');
  const valid = parseRange(req.validVersions)!;
  const oldReq = older.get(`${api.name}Request`);
  const oldRes = older.get(`${api.name}Response`);
  let lo = valid.lo;
  if (oldReq !== undefined) {
    t.equal(oldReq.apiKey, api.key, '3.9.1 api key');
    lo = Math.min(lo, parseRange(oldReq.validVersions)!.lo);
    t.equal(oldReq.flexibleVersions, req.flexibleVersions, '3.9.1 flexible versions');
  }
  t.same(api.versions, { lo, hi: valid.hi }, 'versions = 4.1.1 valid versions plus the older ones of 3.9.1');
  for (let v = lo; v <= valid.hi; v++) {
    const fromNewer = inRange(valid, v);
    for (const [ours, json] of [
      [api.request, fromNewer ? req : oldReq],
      [api.response, fromNewer ? res : oldRes],
    ] as const) {
      if (json === undefined) {
        t.fail(`${ours.name} v${v}: not in either release`);
        continue;
      }
      const structs = new Map((json.commonStructs ?? []).map((s) => [s.name, s.fields]));
      const expected = jsonLayout(json.fields, v, structs, fromNewer);
      const actual = ourLayout(ours.root.fields, v, fromNewer);
      if (JSON.stringify(actual) === JSON.stringify(expected)) t.pass(`${ours.name} v${v} (${fromNewer ? '4.1.1' : '3.9.1'})`);
      else t.same(actual, expected, `${ours.name} v${v} matches Kafka ${fromNewer ? '4.1.1' : '3.9.1'}`);
    }
  }
}


/**
 * APIs that only a Kafka controller serves, defined for issue 12 (a multi-broker KRaft cluster):
 * brokers register, heartbeat, report ISR changes and get producer-id blocks from the controller,
 * and the quorum's voters elect a leader and ship snapshots, all over Kafka's own protocol. No
 * broker handler registers them, so ApiVersions does not list them.
 */
const CONTROLLER_ONLY = [
  '52 Vote',
  '53 BeginQuorumEpoch',
  '54 EndQuorumEpoch',
  '56 AlterPartition',
  '59 FetchSnapshot',
  '62 BrokerRegistration',
  '63 BrokerHeartbeat',
  '67 AllocateProducerIds',
];

if (!existsSync(`${specsDir}/4.1.1`) || !existsSync(`${specsDir}/3.9.1`)) {
  t.test('definitions match Kafka 4.1.1 and 3.9.1', { skip: `no Kafka schemas at ${specsDir}` }, async () => {});
} else {
  const newer = loadSpecs(`${specsDir}/4.1.1`);
  const older = loadSpecs(`${specsDir}/3.9.1`);
  const served = (listener: string): string[] =>
    [...newer.values()]
      .filter((m) => m.type === 'request' && (m.listeners ?? []).includes(listener))
      .map((m) => `${m.apiKey} ${m.name.replace(/Request$/, '')}`);
  t.test('one definition per API that a 4.1.1 broker serves, plus the inter-broker ones', async (t) => {
    const ours = apis.map((a) => `${a.key} ${a.name}`).sort();
    t.same(ours, [...served('broker'), ...CONTROLLER_ONLY].sort());
    const controllerOnly = served('controller').filter((a) => !served('broker').includes(a));
    for (const a of CONTROLLER_ONLY) t.ok(controllerOnly.includes(a), `${a}: only a 4.1.1 controller serves it`);
  });
  for (const api of apis) {
    t.test(`${api.key} ${api.name} matches Kafka`, async (t) => checkApi(t, api, newer, older));
  }
}
