/**
 * The principal of a client that authenticated with a certificate, as Kafka derives it:
 *
 * 1. The certificate's subject as Java prints it (X500Principal.getName(), RFC 2253): the RDNs in
 *    reverse order of the certificate, comma-separated, multi-valued RDNs joined by '+', the
 *    keywords CN, C, L, ST, O, OU, STREET, DC and UID, any other attribute as its dotted OID with
 *    the value as '#' and the hex of its DER (so an e-mail address reads
 *    "1.2.840.113549.1.9.1=#16..."), and ,=+<>#;"\ escaped with a backslash, as are leading and
 *    trailing spaces.
 * 2. ssl.principal.mapping.rules (Kafka's SslPrincipalMapper): a comma-separated list of DEFAULT
 *    (the DN unchanged) and RULE:pattern/replacement/[LU] (the first rule whose pattern matches
 *    the whole DN gives the name, lower- or upper-cased). No matching rule fails authentication.
 * 3. "User:<name>". Without a client certificate the principal is User:ANONYMOUS.
 *
 * Rule patterns are Java regular expressions; they run here as JavaScript ones, which agree for
 * the syntax such rules use (groups, classes, quantifiers, anchors). Java-only syntax is refused
 * when the rules are read: JavaScript rejects possessive quantifiers and inline flags (a leading
 * (?i) is taken as the i flag), and \A \Z \z \G \Q \E, which it would read as plain letters, are
 * refused here.
 */
import type Forge from 'node-forge';
import { nodeForge } from './forge.js';

export const ANONYMOUS_PRINCIPAL = 'User:ANONYMOUS';

/** A rule set that cannot be read (Kafka: IllegalArgumentException at startup). */
export class InvalidPrincipalRulesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidPrincipalRulesError';
  }
}

/** No rule maps the DN (Kafka: the authentication of that connection fails). */
export class NoMatchingRuleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoMatchingRuleError';
  }
}

interface Rule {
  /** null for DEFAULT. */
  pattern: RegExp | null;
  source: string;
  replacement: string;
  lowerCase: boolean;
  upperCase: boolean;
}

// Kafka's grammar, group for group: 1 DEFAULT, 2 pattern, 4 replacement, 6 case flag, 7 anything
// else (an error unless empty). Inside a pattern or replacement a backslash escapes the next
// character, so "\/" is a slash that does not end the part.
const RULE_PATTERN = String.raw`(DEFAULT)|RULE:((\\.|[^\\/])*)/((\\.|[^\\/])*)/([LU]?).*?|(.*?)`;
const RULE_SPLITTER_SOURCE = String.raw`\s*(` + RULE_PATTERN + String.raw`)\s*(,\s*|$)`;

/** Splits the rules text as Kafka does: every match of the splitter, empty ones included. */
function splitRules(text: string): string[] {
  const splitter = new RegExp(RULE_SPLITTER_SOURCE, 'g');
  const input = text.trim();
  const out: string[] = [];
  let m: RegExpExecArray | null;
  while ((m = splitter.exec(input)) !== null) {
    out.push(m[1]!);
    if (m[0].length === 0) {
      // Java's find() moves past an empty match; stop at the end of the input.
      if (splitter.lastIndex >= input.length) break;
      splitter.lastIndex++;
    }
  }
  return out;
}

function compileJavaPattern(source: string): RegExp {
  let body = source;
  let flags = '';
  if (body.startsWith('(?i)')) {
    body = body.slice(4);
    flags = 'i';
  }
  // JavaScript reads these Java escapes as plain letters (\A is "A"): refuse them, not misread them.
  if (/\\[AZzGQE]/.test(body.replace(/\\\\/g, ''))) {
    throw new InvalidPrincipalRulesError(`Invalid rule pattern: \`${source}\` uses Java-only regular expression syntax`);
  }
  try {
    // Anchored: Kafka applies a rule only when the pattern matches the whole DN (Matcher.matches).
    new RegExp(`^(?:${body})$`, flags);
    return new RegExp(body, flags + 'g');
  } catch (err) {
    throw new InvalidPrincipalRulesError(`Invalid rule pattern: \`${source}\`: ${(err as Error).message}`);
  }
}

/** Reads ssl.principal.mapping.rules; throws InvalidPrincipalRulesError with Kafka's message. */
export function parsePrincipalRules(text: string | null): Rule[] {
  const rules: Rule[] = [];
  for (const rule of splitRules(text ?? 'DEFAULT')) {
    const m = new RegExp(RULE_PATTERN, 'y').exec(rule);
    if (m === null) throw new InvalidPrincipalRulesError(`Invalid rule: ${rule}`);
    if (m[0].length !== rule.length) {
      throw new InvalidPrincipalRulesError(`Invalid rule: \`${rule}\`, unmatched substring: \`${rule.slice(m[0].length)}\``);
    }
    if (m[1] !== undefined) {
      rules.push({ pattern: null, source: 'DEFAULT', replacement: '', lowerCase: false, upperCase: false });
    } else if (m[2] !== undefined) {
      rules.push({ pattern: compileJavaPattern(m[2]), source: m[2], replacement: m[4]!, lowerCase: m[6] === 'L', upperCase: m[6] === 'U' });
    } else if (m[7] !== undefined && m[7] !== '') {
      // The catch-all alternative is lazy and so always empty at a rule's start; anything it
      // leaves is the unmatched substring above. Kept for clarity.
      throw new InvalidPrincipalRulesError(`Invalid rule: ${rule}`);
    }
    // An empty rule (",,") is ignored, as in Kafka.
  }
  return rules;
}

/**
 * Java's Matcher.replaceAll replacement syntax: "\x" is x literally; "$n" is group n, taking
 * further digits while they still name a group. Kafka first turns a "$n" naming no group into a
 * literal (SslPrincipalMapper.escapeLiteralBackReferences); here such a reference is literal too.
 */
function javaReplacement(replacement: string, groups: ReadonlyArray<string | undefined>): string {
  const groupCount = groups.length - 1;
  let out = '';
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement[i]!;
    if (c === '\\' && i + 1 < replacement.length) {
      out += replacement[++i];
    } else if (c === '$' && i + 1 < replacement.length && /[0-9]/.test(replacement[i + 1]!)) {
      let ref = Number(replacement[i + 1]);
      if (ref > groupCount) {
        out += c; // a reference to no group stays literal
        continue;
      }
      i++;
      while (i + 1 < replacement.length && /[0-9]/.test(replacement[i + 1]!)) {
        const next = ref * 10 + Number(replacement[i + 1]);
        if (next > groupCount) break;
        ref = next;
        i++;
      }
      out += groups[ref] ?? '';
    } else {
      out += c;
    }
  }
  return out;
}

function applyRule(rule: Rule, dn: string): string | null {
  if (rule.pattern === null) return dn;
  const anchored = new RegExp(`^(?:${rule.pattern.source})$`, rule.pattern.flags.replace('g', ''));
  if (!anchored.test(dn)) return null;
  // As Kafka: replaceAll over the DN (a pattern such as ".*" also matches the empty end).
  const result = dn.replace(new RegExp(rule.pattern.source, rule.pattern.flags), (...args: unknown[]) => {
    const groupsEnd = args.findIndex((a, i) => i > 0 && typeof a === 'number');
    return javaReplacement(rule.replacement, args.slice(0, groupsEnd) as Array<string | undefined>);
  });
  if (rule.lowerCase) return result.toLowerCase();
  if (rule.upperCase) return result.toUpperCase();
  return result;
}

function ruleToString(rule: Rule): string {
  if (rule.pattern === null) return 'DEFAULT';
  return `RULE:${rule.source}/${rule.replacement}${rule.lowerCase ? '/L' : rule.upperCase ? '/U' : ''}`;
}

/** How Kafka prints a rule list (SslPrincipalMapper.toString), for messages and tests. */
export function describePrincipalRules(rules: readonly Rule[]): string {
  return `SslPrincipalMapper(rules = [${rules.map(ruleToString).join(', ')}])`;
}

/** The mapped name of a DN: the first rule that applies; NoMatchingRuleError when none does. */
export function mapPrincipalName(dn: string, rules: readonly Rule[]): string {
  for (const rule of rules) {
    const name = applyRule(rule, dn);
    if (name !== null) return name;
  }
  throw new NoMatchingRuleError(`No rules apply to ${dn}, rules [${rules.map(ruleToString).join(', ')}]`);
}

/**
 * "User:<name>" for a certificate subject DN in RFC 2253 form, under ssl.principal.mapping.rules
 * text. Throws InvalidPrincipalRulesError (bad rules) or NoMatchingRuleError with the message
 * Kafka logs ("Failed to map name for '<dn>' based on SSL principal mapping rules.").
 */
export function principalFromCertificate(subjectDN: string, rules: string | null): string {
  const parsed = parsePrincipalRules(rules);
  try {
    return `User:${mapPrincipalName(subjectDN, parsed)}`;
  } catch (err) {
    if (err instanceof NoMatchingRuleError) {
      throw new NoMatchingRuleError(`Failed to map name for '${subjectDN}' based on SSL principal mapping rules. ${err.message}`);
    }
    throw err;
  }
}

// ---- The subject DN as Java prints it -------------------------------------------------------

/** RFC 2253 keywords Java's X500Principal.getName() uses; any other attribute prints as its OID. */
const RFC2253_KEYWORDS: ReadonlyMap<string, string> = new Map([
  ['2.5.4.3', 'CN'],
  ['2.5.4.6', 'C'],
  ['2.5.4.7', 'L'],
  ['2.5.4.8', 'ST'],
  ['2.5.4.10', 'O'],
  ['2.5.4.11', 'OU'],
  ['2.5.4.9', 'STREET'],
  ['0.9.2342.19200300.100.1.25', 'DC'],
  ['0.9.2342.19200300.100.1.1', 'UID'],
]);

/** ASN.1 string types Java prints as text (PrintableString, T61, IA5, GeneralString, BMP, UTF8). */
const STRING_TAGS: ReadonlySet<number> = new Set([19, 20, 22, 27, 30, 12]);

const ESCAPED = ',=+<>#;"\\';

function escapeValue(text: string): string {
  let out = '';
  for (const c of text) {
    if (ESCAPED.includes(c)) out += '\\' + c;
    else if (c === '\u0000') out += '\\00';
    else out += c;
  }
  // Leading and trailing spaces (and CRs) are escaped, each of them.
  const lead = /^[ \r]*/.exec(out)![0].length;
  const trail = lead === out.length ? 0 : /[ \r]*$/.exec(out)![0].length;
  const middle = out.slice(lead, out.length - trail);
  const esc = (s: string): string => s.replace(/[ \r]/g, (c) => '\\' + c);
  return esc(out.slice(0, lead)) + middle + esc(out.slice(out.length - trail));
}

function avaToString(ava: Forge.asn1.Asn1): string {
  const forge = nodeForge();
  const [typeNode, valueNode] = ava.value as Forge.asn1.Asn1[];
  const oid = forge.asn1.derToOid(typeNode!.value as string);
  const keyword = RFC2253_KEYWORDS.get(oid);
  const value = valueNode!;
  if (keyword === undefined || value.tagClass !== forge.asn1.Class.UNIVERSAL || !STRING_TAGS.has(value.type)) {
    return `${keyword ?? oid}=#${forge.util.bytesToHex(forge.asn1.toDer(value).getBytes())}`;
  }
  // Java decodes every string type's bytes as UTF-8 here (AVA.toRFC2253String).
  return `${keyword}=${escapeValue(Buffer.from(value.value as string, 'binary').toString('utf8'))}`;
}

/** The subject DN of a DER certificate in Java's RFC 2253 form ("CN=client,OU=dev,O=Sluice"). */
export function subjectDnOf(certificateDer: Buffer | Uint8Array): string {
  const forge = nodeForge();
  const cert = forge.asn1.fromDer(forge.util.createBuffer(Buffer.from(certificateDer).toString('binary')));
  const tbs = (cert.value as Forge.asn1.Asn1[])[0]!;
  const fields = tbs.value as Forge.asn1.Asn1[];
  // version [0] is optional; then serialNumber, signature, issuer, validity, subject.
  const hasVersion = fields[0]!.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC;
  const subject = fields[hasVersion ? 5 : 4]!;
  const rdns = (subject.value as Forge.asn1.Asn1[]).map((rdn) => (rdn.value as Forge.asn1.Asn1[]).map(avaToString).join('+'));
  return rdns.reverse().join(',');
}
