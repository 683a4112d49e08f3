/**
 * Parser for our message definition files (`protocol/messages/NN-name.msg`). The syntax is
 * described in `protocol/README.md`. Everything the parser does not understand is refused with
 * `file:line: message`; it never guesses.
 *
 * The model it returns is what the generator (`generate.ts`) and the tests (spec check, sample
 * values for round trips, fuzz) work from.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** An inclusive version range; `hi` is Infinity for an open range ("N+"). `null` means "none". */
export interface VersionRange {
  readonly lo: number;
  readonly hi: number;
}

export const PRIMITIVES = [
  'bool',
  'int8',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'float64',
  'string',
  'bytes',
  'records',
  'uuid',
] as const;
export type Primitive = (typeof PRIMITIVES)[number];

export type FieldType =
  | { readonly kind: 'primitive'; readonly name: Primitive }
  | { readonly kind: 'array'; readonly element: FieldType }
  | { readonly kind: 'struct'; readonly struct: StructDef };

export interface StructDef {
  /** The struct's name as written in the definition (e.g. `MetadataRequestTopic`). */
  readonly name: string;
  /** TypeScript interface name: the message name, then the struct name without that prefix. */
  readonly tsName: string;
  readonly fields: FieldDef[];
  readonly line: number;
}

export interface FieldDef {
  readonly name: string;
  /** lowerCamelCase property name in the generated TypeScript. */
  readonly prop: string;
  readonly type: FieldType;
  /** The type as written (`[]int32`, `MetadataRequestTopic`, `string`). */
  readonly typeText: string;
  readonly versions: VersionRange | null;
  readonly nullable: VersionRange | null;
  /** Tag number when the field is tagged (in all of its versions), else null. */
  readonly tag: number | null;
  /** The default literal as written (`-1`, `true`, `null`, `""`, `0x7fffffff`), or null when absent. */
  readonly default: string | null;
  readonly ignorable: boolean;
  readonly line: number;
}

export interface MessageDef {
  readonly side: 'request' | 'response';
  /** `MetadataRequest`, `MetadataResponse`. */
  readonly name: string;
  readonly root: StructDef;
  /** Every struct of this message (root excluded), in order of first appearance. */
  readonly structs: StructDef[];
}

export interface ApiDef {
  readonly key: number;
  /** Kafka's API name without the Request/Response suffix, e.g. `Metadata`. */
  readonly name: string;
  readonly file: string;
  readonly versions: VersionRange;
  readonly flexible: VersionRange | null;
  /** The latest version, when Kafka marks it unstable; otherwise null. */
  readonly unstable: number | null;
  readonly request: MessageDef;
  readonly response: MessageDef;
}

export class DefinitionError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'DefinitionError';
  }
}

export function inRange(r: VersionRange | null, v: number): boolean {
  return r !== null && v >= r.lo && v <= r.hi;
}

export function formatRange(r: VersionRange | null): string {
  if (r === null) return 'none';
  if (r.hi === Infinity) return `${r.lo}+`;
  return r.lo === r.hi ? `${r.lo}` : `${r.lo}-${r.hi}`;
}

/** Parses `N+`, `N-M`, `N` or `none`; returns undefined when the text is none of those. */
export function parseRange(text: string): VersionRange | null | undefined {
  if (text === 'none') return null;
  let m = /^(\d+)\+$/.exec(text);
  if (m) return { lo: Number(m[1]), hi: Infinity };
  m = /^(\d+)-(\d+)$/.exec(text);
  if (m) {
    const lo = Number(m[1]);
    const hi = Number(m[2]);
    return lo <= hi ? { lo, hi } : undefined;
  }
  m = /^(\d+)$/.exec(text);
  if (m) return { lo: Number(m[1]), hi: Number(m[1]) };
  return undefined;
}

function within(inner: VersionRange | null, outer: VersionRange | null): boolean {
  if (inner === null) return true;
  return outer !== null && inner.lo >= outer.lo && inner.hi <= outer.hi;
}

export function lowerCamel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function camelToKebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

const NULLABLE_PRIMITIVES: ReadonlySet<string> = new Set(['string', 'bytes', 'records']);

/** Whether a field of this type may carry `null=` versions. */
export function canBeNull(t: FieldType): boolean {
  return t.kind !== 'primitive' || NULLABLE_PRIMITIVES.has(t.name);
}

const INT_BOUNDS: Partial<Record<Primitive, [number, number]>> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
};

/** Checks a default literal against its type; returns an error message or null when fine. */
function checkDefault(t: FieldType, text: string, nullableSomewhere: boolean): string | null {
  if (text === 'null') {
    if (!nullableSomewhere) return 'default=null on a field that is never nullable';
    if (t.kind === 'primitive' && !NULLABLE_PRIMITIVES.has(t.name)) return `default=null on ${t.name}`;
    return null;
  }
  if (t.kind !== 'primitive') return 'arrays and structs only take default=null';
  const name = t.name;
  const bounds = INT_BOUNDS[name];
  if (bounds !== undefined) {
    if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(text)) return `bad ${name} default ${text}`;
    const v = parseIntLiteral(text);
    if (v < bounds[0] || v > bounds[1]) return `${name} default ${text} out of range`;
    return null;
  }
  switch (name) {
    case 'int64':
      if (!/^-?(0x[0-9a-fA-F]+|\d+)$/.test(text)) return `bad int64 default ${text}`;
      return BigInt.asIntN(64, parseBigLiteral(text)) === parseBigLiteral(text) ? null : 'int64 default out of range';
    case 'float64':
      return Number.isFinite(Number(text)) ? null : `bad float64 default ${text}`;
    case 'bool':
      return text === 'true' || text === 'false' ? null : `bad bool default ${text}`;
    case 'string':
      return /^"[^"\\]*"$/.test(text) ? null : `string defaults are null or a "quoted" literal, got ${text}`;
    default:
      return `${name} fields take no default other than null`;
  }
}

export function parseIntLiteral(text: string): number {
  const neg = text.startsWith('-');
  const body = neg ? text.slice(1) : text;
  const v = body.startsWith('0x') ? parseInt(body.slice(2), 16) : parseInt(body, 10);
  return neg ? -v : v;
}

export function parseBigLiteral(text: string): bigint {
  const neg = text.startsWith('-');
  const body = neg ? text.slice(1) : text;
  const v = BigInt(body);
  return neg ? -v : v;
}

interface RawField {
  name: string;
  typeText: string;
  versions: VersionRange | null;
  nullable: VersionRange | null;
  tag: number | null;
  default: string | null;
  ignorable: boolean;
  line: number;
  children: RawField[] | null;
}

interface RawBlock {
  side: 'request' | 'response';
  /** null for the message body, else the name of a shared struct. */
  struct: string | null;
  line: number;
  fields: RawField[];
}

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9]*$/;
const STRUCT_NAME = /^[A-Z][A-Za-z0-9]*$/;

/** Parses one definition file's text. `file` is used in error messages only. */
export function parseDefinition(file: string, text: string): ApiDef {
  const fail = (line: number, message: string): never => {
    throw new DefinitionError(file, line, message);
  };
  let header: { key: number; name: string; versions: VersionRange; flexible: VersionRange | null; unstable: number | null; line: number } | null = null;
  const blocks: RawBlock[] = [];
  /** Open fields by depth: stack[d] is the list that a field at depth d goes into. */
  let stack: RawField[][] = [];
  let lastAtDepth: RawField[] = [];

  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.includes('\t')) fail(lineNo, 'tabs are not allowed; indent with two spaces per level');
    const hash = raw.search(/(^|\s)#/);
    const content = (hash === -1 ? raw : raw.slice(0, hash)).replace(/\s+$/, '');
    if (content === '') continue;
    const indent = content.length - content.trimStart().length;
    const words = content.trim().split(/\s+/);

    if (indent === 0) {
      stack = [];
      lastAtDepth = [];
      if (words[0] === 'api') {
        if (header !== null) fail(lineNo, 'second api line');
        header = parseHeader(words, lineNo, fail);
        continue;
      }
      if (header === null) fail(lineNo, 'the file must start with an api line');
      const side = words[0];
      if (side !== 'request' && side !== 'response') fail(lineNo, `expected api, request or response, got "${words[0]}"`);
      let struct: string | null = null;
      if (words.length === 3 && words[1] === 'struct') {
        struct = words[2]!;
        if (!STRUCT_NAME.test(struct)) fail(lineNo, `bad struct name ${struct}`);
      } else if (words.length !== 1) {
        fail(lineNo, `expected "${side}" or "${side} struct Name"`);
      }
      const block: RawBlock = { side: side as 'request' | 'response', struct, line: lineNo, fields: [] };
      blocks.push(block);
      stack = [block.fields];
      continue;
    }

    if (indent % 2 !== 0) fail(lineNo, `indentation of ${indent} spaces is not a multiple of two`);
    const depth = indent / 2;
    if (stack.length === 0) fail(lineNo, 'field outside a request, response or struct block');
    if (depth > stack.length + 1) fail(lineNo, 'field indented deeper than one level below its parent');
    if (depth === stack.length + 1) {
      const parent = lastAtDepth[depth - 2];
      if (parent === undefined) fail(lineNo, 'field indented deeper than one level below its parent');
      const p = parent!;
      const element = p.typeText.startsWith('[]') ? p.typeText.slice(2) : p.typeText;
      if (!STRUCT_NAME.test(element)) fail(lineNo, `field ${p.name} of type ${p.typeText} cannot have nested fields`);
      p.children = [];
      stack.push(p.children);
    }
    stack.length = depth;
    lastAtDepth.length = depth - 1;
    const field = parseField(words, lineNo, fail);
    const list = stack[depth - 1]!;
    if (list.some((f) => lowerCamel(f.name) === lowerCamel(field.name))) fail(lineNo, `duplicate field ${field.name}`);
    list.push(field);
    lastAtDepth[depth - 1] = field;
  }

  if (header === null) return fail(1, 'no api line');
  const h = header!;
  const expected = `${String(h.key).padStart(2, '0')}-${camelToKebab(h.name)}.msg`;
  const base = file.split(/[\\/]/).pop();
  if (base !== expected) fail(h.line, `file for API ${h.key} ${h.name} must be named ${expected}`);

  const request = buildMessage('request', `${h.name}Request`, blocks, h.flexible, fail);
  const response = buildMessage('response', `${h.name}Response`, blocks, h.flexible, fail);
  return {
    key: h.key,
    name: h.name,
    file,
    versions: h.versions,
    flexible: h.flexible,
    unstable: h.unstable,
    request,
    response,
  };
}

function parseHeader(
  words: string[],
  line: number,
  fail: (line: number, message: string) => never,
): { key: number; name: string; versions: VersionRange; flexible: VersionRange | null; unstable: number | null; line: number } {
  if (words.length < 5) fail(line, 'expected: api <key> <Name> versions=<range> flexible=<range> [unstable=<version>]');
  const key = Number(words[1]);
  if (!/^\d+$/.test(words[1]!) || key > 32767) fail(line, `bad api key ${words[1]}`);
  const name = words[2]!;
  if (!STRUCT_NAME.test(name) || /(Request|Response)$/.test(name)) fail(line, `bad api name ${name} (no Request/Response suffix)`);
  let versions: VersionRange | null | undefined;
  let flexible: VersionRange | null | undefined;
  let unstable: number | null = null;
  for (const w of words.slice(3)) {
    const eq = w.indexOf('=');
    const k = w.slice(0, eq);
    const v = w.slice(eq + 1);
    if (eq < 0) fail(line, `unknown api attribute ${w}`);
    else if (k === 'versions' && versions === undefined) {
      versions = parseRange(v);
      if (versions == null || versions.hi === Infinity) fail(line, `versions must be a closed range, got ${v}`);
    } else if (k === 'flexible' && flexible === undefined) {
      flexible = parseRange(v);
      if (flexible === undefined || (flexible !== null && flexible.hi !== Infinity)) fail(line, `flexible must be "none" or "N+", got ${v}`);
    } else if (k === 'unstable' && unstable === null && /^\d+$/.test(v)) {
      unstable = Number(v);
    } else fail(line, `unknown or repeated api attribute ${w}`);
  }
  if (versions == null) return fail(line, 'missing versions=');
  if (flexible === undefined) return fail(line, 'missing flexible=');
  if (unstable !== null && unstable !== versions.hi) fail(line, 'unstable= must name the latest version');
  return { key, name, versions, flexible, unstable, line };
}

function parseField(words: string[], line: number, fail: (line: number, message: string) => never): RawField {
  if (words.length < 3) fail(line, 'expected: <Name> <type> <versions> [null=<range>] [tag=<n>] [default=<value>] [ignorable]');
  const [name, typeText, versionText] = words as [string, string, string];
  if (!FIELD_NAME.test(name)) fail(line, `bad field name ${name}`);
  const versions = parseRange(versionText);
  if (versions === undefined) fail(line, `bad versions ${versionText}`);
  const f: RawField = {
    name,
    typeText,
    versions: versions ?? null,
    nullable: null,
    tag: null,
    default: null,
    ignorable: false,
    line,
    children: null,
  };
  const seen = new Set<string>();
  for (const w of words.slice(3)) {
    const eq = w.indexOf('=');
    const k = eq < 0 ? w : w.slice(0, eq);
    const v = eq < 0 ? '' : w.slice(eq + 1);
    if (seen.has(k)) fail(line, `repeated attribute ${k}`);
    seen.add(k);
    if (k === 'ignorable' && eq < 0) f.ignorable = true;
    else if (k === 'null' && eq >= 0) {
      const r = parseRange(v);
      if (r == null) fail(line, `bad null= range ${v}`);
      f.nullable = r ?? null;
    } else if (k === 'tag' && /^\d+$/.test(v)) f.tag = Number(v);
    else if (k === 'default' && v !== '') f.default = v;
    else fail(line, `unknown attribute ${w}`);
  }
  return f;
}

function buildMessage(
  side: 'request' | 'response',
  messageName: string,
  blocks: RawBlock[],
  flexible: VersionRange | null,
  fail: (line: number, message: string) => never,
): MessageDef {
  const mine = blocks.filter((b) => b.side === side);
  const bodies = mine.filter((b) => b.struct === null);
  if (bodies.length !== 1) fail(bodies[1]?.line ?? 1, `expected exactly one "${side}" block`);
  const shared = new Map<string, RawBlock>();
  for (const b of mine) {
    if (b.struct === null) continue;
    if (shared.has(b.struct)) fail(b.line, `duplicate struct ${b.struct}`);
    shared.set(b.struct, b);
  }
  const tsNameOf = (structName: string): string =>
    messageName + (structName.startsWith(messageName) ? structName.slice(messageName.length) : structName);

  const structs = new Map<string, StructDef>();
  const order: StructDef[] = [];
  const sharedBuilt = new Map<string, StructDef>();
  const usedShared = new Set<string>();

  const buildStruct = (name: string, tsName: string, raw: RawField[], line: number): StructDef => {
    const s: StructDef = { name, tsName, fields: [], line };
    const tags = new Set<number>();
    for (const rf of raw) {
      const type = resolveType(rf);
      const nullableSomewhere = rf.nullable !== null;
      if (rf.nullable !== null && !canBeNull(type)) fail(rf.line, `${rf.typeText} cannot be nullable`);
      if (rf.tag !== null) {
        if (tags.has(rf.tag)) fail(rf.line, `duplicate tag ${rf.tag}`);
        tags.add(rf.tag);
        if (rf.versions === null) fail(rf.line, 'a tagged field needs versions');
        if (!within(rf.versions === null ? null : { lo: rf.versions.lo, hi: Infinity }, flexible)) {
          fail(rf.line, 'tagged fields must only exist in flexible versions');
        }
      }
      if (rf.default !== null) {
        const err = checkDefault(type, rf.default, nullableSomewhere);
        if (err !== null) fail(rf.line, err);
      }
      if (type.kind === 'primitive' && type.name === 'records' && rf.default !== null && rf.default !== 'null') {
        fail(rf.line, 'records default to null');
      }
      s.fields.push({
        name: rf.name,
        prop: lowerCamel(rf.name),
        type,
        typeText: rf.typeText,
        versions: rf.versions,
        nullable: rf.nullable,
        tag: rf.tag,
        default: rf.default,
        ignorable: rf.ignorable,
        line: rf.line,
      });
    }
    return s;
  };

  const resolveType = (rf: RawField): FieldType => {
    const isArray = rf.typeText.startsWith('[]');
    const element = isArray ? rf.typeText.slice(2) : rf.typeText;
    let t: FieldType;
    if ((PRIMITIVES as readonly string[]).includes(element)) {
      if (rf.children !== null) fail(rf.line, `${element} cannot have nested fields`);
      if (isArray && (element === 'records' || element === 'bytes')) fail(rf.line, `arrays of ${element} are not supported`);
      t = { kind: 'primitive', name: element as Primitive };
    } else if (STRUCT_NAME.test(element)) {
      let s: StructDef;
      if (rf.children !== null) {
        if (structs.has(element) || shared.has(element)) fail(rf.line, `struct ${element} is defined twice`);
        s = buildStruct(element, tsNameOf(element), rf.children, rf.line);
        structs.set(element, s);
        order.push(s);
      } else {
        const block = shared.get(element);
        if (block === undefined) return fail(rf.line, `unknown type ${element} (no nested fields and no "${side} struct ${element}" block)`);
        usedShared.add(element);
        let built = sharedBuilt.get(element);
        if (built === undefined) {
          built = buildStruct(element, tsNameOf(element), block.fields, block.line);
          sharedBuilt.set(element, built);
          order.push(built);
        }
        s = built;
      }
      t = { kind: 'struct', struct: s };
    } else {
      return fail(rf.line, `unknown type ${rf.typeText}`);
    }
    return isArray ? { kind: 'array', element: t } : t;
  };

  const body = bodies[0]!;
  const root = buildStruct(messageName, messageName, body.fields, body.line);
  for (const name of shared.keys()) {
    if (!usedShared.has(name)) fail(shared.get(name)!.line, `struct ${name} is never used`);
  }
  const tsNames = new Set<string>([root.tsName]);
  for (const s of order) {
    if (tsNames.has(s.tsName)) fail(s.line, `two structs map to the TypeScript name ${s.tsName}`);
    tsNames.add(s.tsName);
  }
  return { side, name: messageName, root, structs: order };
}

/** Reads and parses every `*.msg` file of a directory, sorted by file name. */
export function loadDefinitions(dir: string): ApiDef[] {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.msg'))
    .sort();
  const apis: ApiDef[] = [];
  const keys = new Map<number, string>();
  for (const f of files) {
    const path = join(dir, f);
    const api = parseDefinition(path, readFileSync(path, 'utf8'));
    const other = keys.get(api.key);
    if (other !== undefined) throw new DefinitionError(path, 1, `API key ${api.key} is also defined in ${other}`);
    keys.set(api.key, path);
    apis.push(api);
  }
  return apis;
}
