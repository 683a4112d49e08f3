/**
 * The client side of SCRAM-SHA-256/512 (RFC 5802), as Kafka's ScramSaslClient runs it: for tests
 * of the server, and for this broker authenticating to another one. Two steps: `first()` gives
 * the client-first message; `final(serverFirst)` checks it and gives the client-final message;
 * `verify(serverFinal)` checks the server's signature (the server proves it knows the credential).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SaslServer } from './sasl.js';
import { scramSaltedPassword, scramSaslName, type ScramMechanismName } from './scram.js';

export class ScramSaslClient {
  private clientFirstBare = '';
  private authMessage = '';
  private saltedPassword: Buffer | null = null;
  private readonly hash: 'sha256' | 'sha512';

  constructor(
    readonly mechanism: ScramMechanismName,
    private readonly user: string,
    private readonly password: string,
    private readonly clientNonce: string = randomBytes(18).toString('base64url'),
    /** Salted passwords by salt and iterations, kept across exchanges (a long-lived client's cache). */
    private readonly saltedPasswords?: Map<string, Buffer>,
  ) {
    this.hash = mechanism === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
  }

  first(): Buffer {
    this.clientFirstBare = `n=${scramSaslName(this.user)},r=${this.clientNonce}`;
    return Buffer.from(`n,,${this.clientFirstBare}`, 'utf8');
  }

  final(serverFirst: Buffer): Buffer {
    const text = serverFirst.toString('utf8');
    const m = /^r=([^,]+),s=([^,]+),i=([0-9]+)$/.exec(text);
    if (!m) throw new Error(`Invalid SCRAM server first message format: ${text}`);
    const [, nonce, salt, iterations] = m as unknown as [string, string, string, string];
    if (!nonce.startsWith(this.clientNonce) || nonce === this.clientNonce) throw new Error('Invalid server nonce: does not start with client nonce');
    const key = `${salt}/${iterations}`;
    this.saltedPassword = this.saltedPasswords?.get(key) ?? scramSaltedPassword(this.mechanism, this.password, Buffer.from(salt, 'base64'), Number(iterations));
    this.saltedPasswords?.set(key, this.saltedPassword);
    const withoutProof = `c=biws,r=${nonce}`;
    this.authMessage = `${this.clientFirstBare},${text},${withoutProof}`;
    const clientKey = createHmac(this.hash, this.saltedPassword).update('Client Key').digest();
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const signature = createHmac(this.hash, storedKey).update(this.authMessage).digest();
    const proof = Buffer.from(clientKey.map((b, i) => b ^ signature[i]!));
    return Buffer.from(`${withoutProof},p=${proof.toString('base64')}`, 'utf8');
  }

  /** Whether the server-final message carries the right ServerSignature. */
  verify(serverFinal: Buffer): boolean {
    if (!this.saltedPassword) throw new Error('verify before final');
    const text = serverFinal.toString('utf8');
    if (!text.startsWith('v=')) return false;
    const serverKey = createHmac(this.hash, this.saltedPassword).update('Server Key').digest();
    const expected = createHmac(this.hash, serverKey).update(this.authMessage).digest();
    const got = Buffer.from(text.slice(2), 'base64');
    return got.length === expected.length && timingSafeEqual(got, expected);
  }
}

/** A whole SCRAM exchange between `server` and `client` in process: true when both sides accept it. */
export function scramExchange(server: SaslServer, client: ScramSaslClient): boolean {
  const first = server.evaluate(client.first());
  if (first.kind !== 'continue') return false;
  const done = server.evaluate(client.final(first.response));
  return done.kind === 'complete' && client.verify(done.response);
}
