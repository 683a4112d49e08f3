import { X509Certificate } from 'node:crypto';
import t from 'tap';
import forge from 'node-forge';
import {
  describePrincipalRules,
  InvalidPrincipalRulesError,
  mapPrincipalName,
  NoMatchingRuleError,
  parsePrincipalRules,
  principalFromCertificate,
  subjectDnOf,
} from './ssl-principal.js';

// The cases of Kafka's SslPrincipalMapperTest, in our own words.

t.test('rules Kafka accepts', async (t) => {
  for (const rules of [
    'DEFAULT',
    'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/',
    'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, DEFAULT',
    'RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/',
    'RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/L',
    'RULE:^cn=(.?),ou=(.?),dc=(.?),dc=(.?)$/$1@$2/U',
    'RULE:^CN=([^,ADEFLTU,]+)(,.*|$)/$1/',
    'RULE:^CN=([^,DEFAULT,]+)(,.*|$)/$1/',
  ]) {
    t.doesNotThrow(() => parsePrincipalRules(rules), rules);
  }
});

t.test('rules Kafka refuses', async (t) => {
  for (const rules of [
    'default',
    'DEFAUL',
    'DEFAULT/L',
    'DEFAULT/U',
    'RULE:CN=(.*?),OU=ServiceUsers.*/$1',
    'rule:^CN=(.*?),OU=ServiceUsers.*$/$1/',
    'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L/U',
    'RULE:^CN=(.*?),OU=ServiceUsers.*$/L',
    'RULE:^CN=(.*?),OU=ServiceUsers.*$/U',
    'RULE:^CN=(.*?),OU=ServiceUsers.*$/LU',
  ]) {
    t.throws(() => parsePrincipalRules(rules), InvalidPrincipalRulesError, rules);
  }
  t.throws(() => parsePrincipalRules('DEFAUL'), { message: 'Invalid rule: `DEFAUL`, unmatched substring: `DEFAUL`' }, "Kafka's message");
  t.throws(() => parsePrincipalRules('RULE:^CN=(.*$/$1/'), /Invalid rule pattern/, 'a pattern that does not compile');
  t.throws(() => parsePrincipalRules('RULE:\\ACN=(.*)\\Z/$1/'), /Java-only/, 'Java escapes JavaScript would read as letters');
});

t.test('the first rule that matches the whole DN maps it; L and U change the case', async (t) => {
  const rules = parsePrincipalRules(
    [
      'RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L',
      'RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L',
      'RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U',
      'RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U',
      'DEFAULT',
    ].join(', '),
  );
  t.equal(mapPrincipalName('CN=Duke,OU=ServiceUsers,O=Org,C=US', rules), 'duke');
  t.equal(mapPrincipalName('CN=Duke,OU=SME,O=mycp,L=Fulton,ST=MD,C=US', rules), 'duke@sme');
  t.equal(mapPrincipalName('cn=duke,ou=sme,dc=mycp,dc=com', rules), 'DUKE@SME');
  t.equal(mapPrincipalName('cN=duke,OU=JavaSoft,O=Sun Microsystems', rules), 'DUKE');
  t.equal(mapPrincipalName('OU=JavaSoft,O=Sun Microsystems,C=US', rules), 'OU=JavaSoft,O=Sun Microsystems,C=US', 'DEFAULT: the DN itself');
});

t.test('an escaped comma inside a value', async (t) => {
  const rules = parsePrincipalRules('RULE:^CN=((\\\\, *|\\w)+)(,.*|$)/$1/,DEFAULT');
  t.equal(mapPrincipalName('CN=Tkac\\, Adam,OU=ITZ,DC=geodis,DC=cz', rules), 'Tkac\\, Adam');
});

t.test('splitting: commas, spaces, empty rules and escapes, printed as Kafka prints them', async (t) => {
  const cases: Array<[string, string]> = [
    ['', '[]'],
    ['DEFAULT', '[DEFAULT]'],
    ['RULE://', '[RULE:/]'],
    ['RULE:/.*/', '[RULE:/.*]'],
    ['RULE:/.*/L', '[RULE:/.*/L]'],
    ['RULE://,DEFAULT', '[RULE:/, DEFAULT]'],
    ['  RULE:// ,  DEFAULT  ', '[RULE:/, DEFAULT]'],
    ['  RULE:   /     / ,  DEFAULT  ', '[RULE:   /     , DEFAULT]'],
    ['  RULE:  /     /U   ,DEFAULT  ', '[RULE:  /     /U, DEFAULT]'],
    ['  RULE:([A-Z]*)/$1/U   ,RULE:([a-z]+)/$1/,   DEFAULT  ', '[RULE:([A-Z]*)/$1/U, RULE:([a-z]+)/$1, DEFAULT]'],
    [',   , , ,      , , ,   ', '[]'],
    [',,RULE://,,,DEFAULT,,', '[RULE:/, DEFAULT]'],
    [',  , RULE: /   /    ,,,   DEFAULT, ,   ', '[RULE: /   , DEFAULT]'],
    ['     ,  , RULE:   /  /U    ,,  ,DEFAULT, ,', '[RULE:   /  /U, DEFAULT]'],
    ['RULE:\\/\\\\\\(\\)\\n\\t/\\/\\//', '[RULE:\\/\\\\\\(\\)\\n\\t/\\/\\/]'],
    ['RULE:\\**\\/+/*/L,RULE:\\/*\\**/**/', '[RULE:\\**\\/+/*/L, RULE:\\/*\\**/**]'],
    [
      'RULE:,RULE:,/,RULE:,\\//U,RULE:,/RULE:,/,RULE:,RULE:,/L,RULE:,/L,RULE:, DEFAULT, /DEFAULT/,DEFAULT',
      '[RULE:,RULE:,/,RULE:,\\//U, RULE:,/RULE:,, RULE:,RULE:,/L,RULE:,/L, RULE:, DEFAULT, /DEFAULT, DEFAULT]',
    ],
  ];
  for (const [text, printed] of cases) {
    t.equal(describePrincipalRules(parsePrincipalRules(text)), `SslPrincipalMapper(rules = ${printed})`, JSON.stringify(text));
  }
});

t.test('replacement: group references as Java reads them', async (t) => {
  const map = (rule: string, dn: string): string => mapPrincipalName(dn, parsePrincipalRules(rule));
  t.equal(map('RULE:^CN=(.*?),OU=(.*?)$/$2-$1/', 'CN=a,OU=b'), 'b-a');
  t.equal(map('RULE:^CN=(.*?),OU=(.*?)$/$1@$4/', 'CN=a,OU=b'), 'a@$4', 'a reference to no group stays literal');
  t.equal(map('RULE:^CN=(.*?),OU=(.*?)$/$12/', 'CN=a,OU=b'), 'a2', '$12 with two groups is $1 then "2"');
  t.equal(map('RULE:^CN=(.*?),OU=(.*?)$/\\$1/', 'CN=a,OU=b'), '$1', 'a backslash quotes the dollar');
  t.equal(map('RULE:^CN=([a-z]+)$/$0!/', 'CN=abc'), 'CN=abc!', '$0 is the whole match');
});

t.test('no rule applies: Kafka fails the authentication with its message', async (t) => {
  t.throws(() => mapPrincipalName('CN=x', parsePrincipalRules('RULE:^CN=y$/y/')), NoMatchingRuleError);
  t.throws(() => principalFromCertificate('CN=x', 'RULE:^CN=y$/y/'), { message: /^Failed to map name for 'CN=x' based on SSL principal mapping rules\./ });
  t.throws(() => principalFromCertificate('CN=x', ''), NoMatchingRuleError, 'an empty rule list maps nothing, as in Kafka');
  t.equal(principalFromCertificate('CN=client,OU=dev,O=Sluice', 'RULE:^CN=([^,]+),.*$/$1/,DEFAULT'), 'User:client');
  t.equal(principalFromCertificate('CN=client,OU=dev,O=Sluice', null), 'User:CN=client,OU=dev,O=Sluice', 'unset: DEFAULT');
});

/** A self-signed certificate with the given subject attributes (forge's short names or OIDs). */
function certWithSubject(attrs: forge.pki.CertificateField[]): Buffer {
  const keys = forge.pki.rsa.generateKeyPair({ bits: 512, e: 0x10001 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date();
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
}

t.test('subject DN as Java prints it (checked against X500Principal.getName() on JDK 17)', async (t) => {
  // OpenSSL's one-line form is the other way round: node's X509Certificate.subject for contrast.
  const plain = certWithSubject([
    { shortName: 'C', value: 'US' },
    { shortName: 'O', value: 'Sluice' },
    { shortName: 'OU', value: 'dev' },
    { shortName: 'CN', value: 'client' },
  ]);
  t.equal(new X509Certificate(plain).subject, 'C=US\nO=Sluice\nOU=dev\nCN=client');
  t.equal(subjectDnOf(plain), 'CN=client,OU=dev,O=Sluice,C=US', 'most specific first, comma-separated');

  const odd = certWithSubject([
    { type: '0.9.2342.19200300.100.1.25', value: 'com', valueTagClass: forge.asn1.Type.IA5STRING },
    { shortName: 'ST', value: 'Some State' },
    { shortName: 'O', value: 'Acme, Inc.' },
    { shortName: 'CN', value: 'Tkac, Adam #1 ' },
    { type: '1.2.840.113549.1.9.1', value: 'a@b.c', valueTagClass: forge.asn1.Type.IA5STRING },
    { type: '2.5.4.12', value: 'Boss', valueTagClass: forge.asn1.Type.UTF8 },
    { shortName: 'CN', value: 'x=y;z<q>"\\ ' },
  ] as unknown as forge.pki.CertificateField[]);
  t.equal(
    subjectDnOf(odd),
    'CN=x\\=y\\;z\\<q\\>\\"\\\\\\ ,2.5.4.12=#0c04426f7373,1.2.840.113549.1.9.1=#16056140622e63,CN=Tkac\\, Adam \\#1\\ ,O=Acme\\, Inc.,ST=Some State,DC=com',
    'escapes, a trailing space, and attributes without an RFC 2253 keyword as #hex of their DER',
  );
  t.equal(subjectDnOf(certWithSubject([{ shortName: 'CN', value: ' lead' }])), 'CN=\\ lead', 'a leading space is escaped');
});
