/**
 * JAAS parsing. The expectations were checked against Kafka 4.1.1's own JaasConfig (driven
 * through reflection from a scratch Java program, not kept): same entries and options for every
 * accepted text, same message for every refused one, except where we deliberately do not echo a
 * token that may be part of a password.
 */
import t from 'tap';
import { ConfigError } from '../config/config-error.js';
import { jaasOption, parseJaasConfig, parseServerJaasConfig, PLAIN_LOGIN_MODULE, type JaasEntry } from './jaas.js';

const flat = (entries: JaasEntry[]): unknown =>
  entries.map((e) => ({ module: e.loginModule, flag: e.controlFlag, options: Object.fromEntries(e.options) }));

const accepted: Array<[string, string, unknown]> = [
  ['a stock PLAIN config',
    'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";',
    [{ module: PLAIN_LOGIN_MODULE, flag: 'required', options: { username: 'admin', password: 'admin-secret', user_admin: 'admin-secret', user_alice: 'alice-secret' } }]],
  ['no options', 'a required;', [{ module: 'a', flag: 'required', options: {} }]],
  ['two entries, flags in any case', 'a REQUIRED; b Optional x=y;',
    [{ module: 'a', flag: 'required', options: {} }, { module: 'b', flag: 'optional', options: { x: 'y' } }]],
  ['a quoted number', 'a requisite k="5000";', [{ module: 'a', flag: 'requisite', options: { k: '5000' } }]],
  ['an unquoted word takes - . _ $ and digits after its first char', 'a sufficient k=abc-def.ghi_1$2;',
    [{ module: 'a', flag: 'sufficient', options: { k: 'abc-def.ghi_1$2' } }]],
  ['Java escapes and octal', 'a required k="q\\"q \\\\ \\n \\t \\101 \\7 \\377 \\400 \\q";',
    [{ module: 'a', flag: 'required', options: { k: 'q"q \\ \n \t A \x07 \xff  0 q' } }]],
  ['single quotes', 'a required k=\'say "hi"\';', [{ module: 'a', flag: 'required', options: { k: 'say "hi"' } }]],
  ['a string ends at the line break when unterminated', 'a required k="open\nb=c;',
    [{ module: 'a', flag: 'required', options: { k: 'open', b: 'c' } }]],
  ['// comment', 'a required // k=v\n k2=v2;', [{ module: 'a', flag: 'required', options: { k2: 'v2' } }]],
  ['/* */ comment', 'a required /* k=v */ k2=v2;', [{ module: 'a', flag: 'required', options: { k2: 'v2' } }]],
  ['/*/ does not close a comment', 'a required k=v /*/ k2=v2 */ k3=v3;',
    [{ module: 'a', flag: 'required', options: { k: 'v', k3: 'v3' } }]],
  ['a lone / comments out the line', 'a required / x\n k3=v3\n k4=v4;', [{ module: 'a', flag: 'required', options: { k3: 'v3', k4: 'v4' } }]],
  ['a lone / before a line break swallows the next line, as in Java', 'a required /\nk3=v3\n k4=v4;',
    [{ module: 'a', flag: 'required', options: { k4: 'v4' } }]],
  ['comment marks inside quotes are text', 'a required k="a/*b*/c" j=d/*x*/;',
    [{ module: 'a', flag: 'required', options: { k: 'a/*b*/c', j: 'd' } }]],
  ['a quoted flag and a quoted module', '"quoted.Module" "required" k=v;', [{ module: 'quoted.Module', flag: 'required', options: { k: 'v' } }]],
  ['a repeated key keeps the last value', 'a required k=v k=w;', [{ module: 'a', flag: 'required', options: { k: 'w' } }]],
  ['dotted keys', 'a required k.x=v;', [{ module: 'a', flag: 'required', options: { 'k.x': 'v' } }]],
  ['non-ASCII words and strings', 'a required k="\u00e9\u4e2d" \u4e2d=\u00e9t\u00e9;',
    [{ module: 'a', flag: 'required', options: { k: '\u00e9\u4e2d', '\u4e2d': '\u00e9t\u00e9' } }]],
  ['a multi-line file-style config', 'com.Foo required\n  user_a="1"\n  user_b="2";\ncom.Bar optional z="9";',
    [{ module: 'com.Foo', flag: 'required', options: { user_a: '1', user_b: '2' } }, { module: 'com.Bar', flag: 'optional', options: { z: '9' } }]],
];

for (const [name, text, want] of accepted) {
  t.test(`accepted: ${name}`, async (t) => {
    t.same(flat(parseJaasConfig(text)), want);
  });
}

const refused: Array<[string, string, string]> = [
  ['no semicolon', 'a sufficient k=v', 'JAAS config entry not terminated by semi-colon'],
  ['an unquoted number', 'a requisite k=5000;', "Value not specified for key 'k' in JAAS config"],
  ['an unquoted value starting with -', 'a requisite k=-abc;', "Value not specified for key 'k' in JAAS config"],
  ['an unquoted value starting with a digit', 'a required k=1a;', "Value not specified for key 'k' in JAAS config"],
  ['no value', 'a required k;', "Value not specified for key 'k' in JAAS config"],
  ['an empty value', 'a required k=;', "Value not specified for key 'k' in JAAS config"],
  ['no key', 'a required =v;', "Value not specified for key 'null' in JAAS config"],
  ['an unterminated string at the end', 'a required k="open', 'JAAS config entry not terminated by semi-colon'],
  ['a / in an unquoted value comments out the rest', 'a required k=a/b;', 'JAAS config entry not terminated by semi-colon'],
  ['empty', '', 'Login module not specified in JAAS config'],
  ['blank', '  \n ', 'Login module not specified in JAAS config'],
  ['only a comment', '/* x */', 'Login module not specified in JAAS config'],
  ['a module alone', 'a', 'Login module control flag not specified in JAAS config'],
  ['a module and ;', 'a;', 'Login module control flag is not available in the JAAS config'],
  ['an unknown flag', 'a bogus;', "Invalid login module control flag 'bogus' in JAAS config"],
  ['a stray ;', 'a required k=v;;', 'Login module control flag not specified in JAAS config'],
  ['no module name', '5 required;', 'Login module class not specified in JAAS config'],
];

for (const [name, text, message] of refused) {
  t.test(`refused: ${name}`, async (t) => {
    t.throws(() => parseJaasConfig(text, 'listener.name.sasl_ssl.plain.sasl.jaas.config'),
      new ConfigError(`listener.name.sasl_ssl.plain.sasl.jaas.config: ${message}`));
  });
}

t.test('errors never echo what may be a password', async (t) => {
  // Kafka would say "Value not specified for key 'word'" and "... flag 'hunter2'".
  const cases: Array<[string, string]> = [
    ['a required user_admin=pass word;', 'word'],
    ['a required user_admin=p@ssw0rd;', 'ssw0rd'],
    ['a "hunter2" user_admin="x";', 'hunter2'],
  ];
  for (const [text, secret] of cases) {
    let message = '';
    try {
      parseJaasConfig(text);
    } catch (e) {
      t.type(e, ConfigError);
      message = (e as Error).message;
    }
    t.ok(message.length > 0, `refused: ${text}`);
    t.notMatch(message, secret, `"${message}" does not contain "${secret}"`);
  }
  t.throws(() => parseJaasConfig('a required user_admin=pass word;'),
    new ConfigError("sasl.jaas.config: Value not specified for a key after 'user_admin' in JAAS config (quote values that hold spaces or symbols)"));
});

t.test('a broker config holds exactly one login module (JaasContext)', async (t) => {
  t.equal(parseServerJaasConfig('a required k="v";').options.get('k'), 'v');
  t.throws(() => parseServerJaasConfig('a required; b required;', 'x'),
    new ConfigError('x: JAAS config property contains 2 login modules, should be 1 module'));
});

t.test('jaasOption: first entry with the key, of the module when named', async (t) => {
  const entries = parseJaasConfig('a required k="1"; b required k="2" j="3";');
  t.equal(jaasOption(entries, 'k'), '1');
  t.equal(jaasOption(entries, 'k', 'b'), '2');
  t.equal(jaasOption(entries, 'j'), '3');
  t.equal(jaasOption(entries, 'j', 'a'), null);
  t.equal(jaasOption(entries, 'nope'), null);
});

t.test('a long config parses in linear time', async (t) => {
  const users = Array.from({ length: 20_000 }, (_, i) => `user_u${i}="p${i}"`).join(' ');
  const start = process.hrtime.bigint();
  const entry = parseServerJaasConfig(`${PLAIN_LOGIN_MODULE} required ${users};`);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.equal(entry.options.size, 20_000);
  t.equal(entry.options.get('user_u19999'), 'p19999');
  t.ok(ms < 2000, `${ms.toFixed(0)} ms`);
});
