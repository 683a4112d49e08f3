/**
 * JAAS configuration text as Kafka reads `sasl.jaas.config` (its JaasConfig and JaasContext).
 *
 * Format, one or more entries:
 *
 *   <LoginModule class> <flag> (<option>=<value>)* ;
 *
 * Kafka tokenizes with java.io.StreamTokenizer and we reproduce its rules, since a value that
 * Kafka accepts must mean the same here and one it refuses must be refused:
 *   - whitespace is every char <= ' '; `//` and `/* ... *\/` are comments, and so is a lone `/`
 *     (StreamTokenizer's default comment char) up to the end of the line;
 *   - a word is a run of letters, chars 160-255 or above 255, `-`, `_`, `$`, digits and `.`, but
 *     it must START with a letter, `_`, `$` or such a char: a token starting with a digit, `.`
 *     or `-` is a number, which has no string value, so `key=5000` is refused ("Value not
 *     specified"): numbers must be quoted, as Kafka's documentation always shows them;
 *   - `"..."` and `'...'` are strings with Java escapes (\n \t \r \b \f \a \v, octal \0-\377,
 *     and a backslash before any other char stands for that char); a string also ends at a line
 *     break or at the end of the text without its closing quote;
 *   - the flag is required|requisite|sufficient|optional in any case; `;` ends an entry.
 *
 * Errors are ConfigErrors with Kafka's wording, and never quote an option's value (they hold
 * passwords): where an unquoted value held a space, the stray part is not echoed either.
 */
import { ConfigError } from '../config/config-error.js';

export type JaasControlFlag = 'required' | 'requisite' | 'sufficient' | 'optional';

export interface JaasEntry {
  /** The login module's class name, e.g. "org.apache.kafka.common.security.plain.PlainLoginModule". */
  readonly loginModule: string;
  readonly controlFlag: JaasControlFlag;
  /** Options in the order written; a repeated key keeps its last value (Kafka's HashMap). */
  readonly options: ReadonlyMap<string, string>;
}

export const PLAIN_LOGIN_MODULE = 'org.apache.kafka.common.security.plain.PlainLoginModule';
export const SCRAM_LOGIN_MODULE = 'org.apache.kafka.common.security.scram.ScramLoginModule';
export const OAUTHBEARER_LOGIN_MODULE = 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule';

// ---------------------------------------------------------------------------------------------
// StreamTokenizer, as configured by Kafka's JaasConfig.

type Token =
  | { readonly kind: 'eof' }
  | { readonly kind: 'word'; readonly text: string }
  | { readonly kind: 'quoted'; readonly text: string }
  | { readonly kind: 'number' }
  /** Any other single char: `=`, `;`, `@`, ... (a lone `-` too). */
  | { readonly kind: 'char'; readonly ch: string };

const isWhitespace = (c: number): boolean => c <= 0x20;
const isDigitish = (c: number): boolean => (c >= 0x30 && c <= 0x39) || c === 0x2e /* . */ || c === 0x2d; /* - */
const isAlpha = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c >= 0xa0 || c === 0x2d || c === 0x5f /* _ */ || c === 0x24; /* $ */
const isQuote = (c: number): boolean => c === 0x22 || c === 0x27;
const isLineEnd = (c: number): boolean => c === 0x0a || c === 0x0d;

const ESCAPES: Readonly<Record<string, number>> = { a: 0x07, b: 0x08, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b };

class Tokenizer {
  private pos = 0;

  constructor(private readonly text: string) {}

  private peek(): number {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1;
  }

  next(): Token {
    for (;;) {
      let c = this.peek();
      while (c >= 0 && isWhitespace(c)) {
        this.pos++;
        c = this.peek();
      }
      if (c < 0) return { kind: 'eof' };
      // Digits, '.' and '-' start a number ('-' is a word char too, but the number test comes first).
      if (isDigitish(c)) return this.number(c);
      if (isAlpha(c)) return this.word();
      if (isQuote(c)) return this.quoted(c);
      if (c === 0x2f /* / */) {
        this.pos++;
        const d = this.peek();
        if (d === 0x2a /* * */) {
          const end = this.text.indexOf('*/', this.pos + 1);
          if (end < 0) return { kind: 'eof' };
          this.pos = end + 2;
          continue;
        }
        // "//" and a lone "/" (the default comment char) both comment out the rest of the line;
        // as in Java, the char after a lone "/" is taken first, even a line break.
        if (d >= 0) this.pos++;
        this.skipLine();
        continue;
      }
      this.pos++;
      return { kind: 'char', ch: String.fromCharCode(c) };
    }
  }

  private skipLine(): void {
    while (this.pos < this.text.length && !isLineEnd(this.text.charCodeAt(this.pos))) this.pos++;
  }

  private number(first: number): Token {
    this.pos++;
    if (first === 0x2d) {
      const c = this.peek();
      if (c !== 0x2e && !(c >= 0x30 && c <= 0x39)) return { kind: 'char', ch: '-' };
    }
    let seenDot = first === 0x2e;
    for (;;) {
      const c = this.peek();
      if (c === 0x2e && !seenDot) seenDot = true;
      else if (!(c >= 0x30 && c <= 0x39)) break;
      this.pos++;
    }
    return { kind: 'number' };
  }

  private word(): Token {
    const start = this.pos;
    this.pos++;
    for (;;) {
      const c = this.peek();
      if (c < 0 || !(isAlpha(c) || isDigitish(c))) break;
      this.pos++;
    }
    return { kind: 'word', text: this.text.slice(start, this.pos) };
  }

  private quoted(quote: number): Token {
    this.pos++;
    const out: number[] = [];
    let d = this.read();
    while (d >= 0 && d !== quote && !isLineEnd(d)) {
      let c: number;
      if (d === 0x5c /* \ */) {
        c = this.read();
        const first = c;
        if (c >= 0x30 && c <= 0x37) {
          c -= 0x30;
          let c2 = this.read();
          if (c2 >= 0x30 && c2 <= 0x37) {
            c = (c << 3) + (c2 - 0x30);
            c2 = this.read();
            if (c2 >= 0x30 && c2 <= 0x37 && first <= 0x33) {
              c = (c << 3) + (c2 - 0x30);
              d = this.read();
            } else d = c2;
          } else d = c2;
        } else {
          // A backslash at the very end stands for U+FFFF, as Java's (char) -1.
          c = c < 0 ? 0xffff : (ESCAPES[String.fromCharCode(c)] ?? c);
          d = this.read();
        }
      } else {
        c = d;
        d = this.read();
      }
      out.push(c);
    }
    // An unterminated string ends at the line break, which is then read as whitespace.
    if (d >= 0 && d !== quote) this.pos--;
    return { kind: 'quoted', text: String.fromCharCode(...out) };
  }

  private read(): number {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos++) : (this.pos++, -1);
  }
}

// ---------------------------------------------------------------------------------------------

const FLAGS: ReadonlySet<string> = new Set(['required', 'requisite', 'sufficient', 'optional']);

const stringOf = (t: Token): string | null => (t.kind === 'word' || t.kind === 'quoted' ? t.text : null);
const isChar = (t: Token, ch: string): boolean => t.kind === 'char' && t.ch === ch;

/**
 * Every entry of a JAAS config text. `source` (e.g. "listener.name.sasl_ssl.plain.sasl.jaas.config")
 * starts each error message.
 */
export function parseJaasConfig(text: string, source = 'sasl.jaas.config'): JaasEntry[] {
  const fail = (message: string): never => {
    throw new ConfigError(`${source}: ${message}`);
  };
  const tokens = new Tokenizer(text);
  const entries: JaasEntry[] = [];
  for (let t = tokens.next(); t.kind !== 'eof'; t = tokens.next()) {
    const loginModule = stringOf(t);
    const flagToken = tokens.next();
    if (flagToken.kind === 'eof') fail('Login module control flag not specified in JAAS config');
    const flag = stringOf(flagToken);
    if (flag === null) fail('Login module control flag is not available in the JAAS config');
    const controlFlag = flag!.toLowerCase();
    if (!FLAGS.has(controlFlag)) {
      // A word is safe to show; a quoted string in the flag's place may be anything.
      fail(flagToken.kind === 'word'
        ? `Invalid login module control flag '${flag}' in JAAS config`
        : 'Invalid login module control flag (a quoted string) in JAAS config');
    }
    const options = new Map<string, string>();
    let previous: { key: string; unquoted: boolean } | null = null;
    let o = tokens.next();
    for (; o.kind !== 'eof' && !isChar(o, ';'); o = tokens.next()) {
      const key = stringOf(o);
      const eq = tokens.next();
      const value = isChar(eq, '=') ? tokens.next() : null;
      if (value === null || value.kind === 'eof' || stringOf(value) === null) {
        // After an unquoted value this "key" may be the rest of a value with a space in it.
        if (previous?.unquoted) {
          fail(`Value not specified for a key after '${previous.key}' in JAAS config (quote values that hold spaces or symbols)`);
        }
        fail(`Value not specified for key '${key}' in JAAS config`);
      }
      options.set(key!, stringOf(value!)!);
      previous = { key: key!, unquoted: value!.kind === 'word' };
    }
    if (!isChar(o, ';')) fail('JAAS config entry not terminated by semi-colon');
    if (loginModule === null || loginModule === '') fail('Login module class not specified in JAAS config');
    entries.push({ loginModule: loginModule!, controlFlag: controlFlag as JaasControlFlag, options });
  }
  if (entries.length === 0) fail('Login module not specified in JAAS config');
  return entries;
}

/**
 * The one entry of a broker's `sasl.jaas.config` (Kafka's JaasContext.loadServerContext refuses
 * a property with no module or with several).
 */
export function parseServerJaasConfig(text: string, source = 'sasl.jaas.config'): JaasEntry {
  const entries = parseJaasConfig(text, source);
  if (entries.length !== 1) {
    throw new ConfigError(`${source}: JAAS config property contains ${entries.length} login modules, should be 1 module`);
  }
  return entries[0]!;
}

/** Reads a listener's config as BrokerConfig.listenerGet(listener, name, mechanism) does. */
export type ListenerConfigLookup = (name: string) => string | null;

/** The config key Kafka documents for a listener's JAAS text for one mechanism. */
export const jaasConfigKey = (listenerName: string, mechanism: string): string =>
  `listener.name.${listenerName.toLowerCase()}.${mechanism.toLowerCase()}.sasl.jaas.config`;

/**
 * The one JAAS entry a listener's mechanism runs with, from `sasl.jaas.config` as looked up for
 * that listener and mechanism. Kafka would fall back to a JAAS file named by the JVM's
 * java.security.auth.login.config property; Sluice has no JVM, so the property is required, and
 * its absence is refused with Kafka's message plus what to set.
 */
export function listenerJaasEntry(lookup: ListenerConfigLookup, listenerName: string, mechanism: string): JaasEntry {
  const key = jaasConfigKey(listenerName, mechanism);
  const text = lookup('sasl.jaas.config');
  if (text === null) {
    throw new ConfigError(`${key}: Could not find a 'KafkaServer' or '${listenerName.toLowerCase()}.KafkaServer' entry in the JAAS `
      + `configuration. System property 'java.security.auth.login.config' is not set (Sluice reads JAAS only from `
      + `sasl.jaas.config: set ${key})`);
  }
  return parseServerJaasConfig(text, key);
}

/**
 * Refuses a `sasl.server.callback.handler.class` Sluice cannot run (any Java class but the
 * mechanism's default, given as `builtIn`): silently using the default would authenticate
 * differently from what the config asks for.
 */
export function checkServerCallbackHandler(lookup: ListenerConfigLookup, listenerName: string, mechanism: string, builtIn: readonly string[]): void {
  const handler = lookup('sasl.server.callback.handler.class');
  if (handler === null || handler.trim() === '' || builtIn.includes(handler.trim())) return;
  const key = `listener.name.${listenerName.toLowerCase()}.${mechanism.toLowerCase()}.sasl.server.callback.handler.class`;
  throw new ConfigError(`${key}: ${handler.trim()} is not supported: Sluice runs no Java classes; `
    + `for ${mechanism} it has only ${builtIn.length > 0 ? builtIn.join(', ') : 'its built-in checks'} (leave the property unset)`);
}

/**
 * An option's value as Kafka's JaasContext.configEntryOption finds it: the first entry (of
 * `loginModule` only, when given) that has the key.
 */
export function jaasOption(entries: readonly JaasEntry[], key: string, loginModule?: string): string | null {
  for (const entry of entries) {
    if (loginModule !== undefined && entry.loginModule !== loginModule) continue;
    const value = entry.options.get(key);
    if (value !== undefined) return value;
  }
  return null;
}
