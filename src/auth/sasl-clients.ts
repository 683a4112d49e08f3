/**
 * The client side of PLAIN and SCRAM, for this broker authenticating to other nodes of its
 * cluster, with the credentials Kafka's inter-broker client takes: the `username` and `password`
 * options of the listener's JAAS config for the mechanism (listener.name.<l>.<mech>.sasl.jaas.config),
 * the same entry whose `user_<name>` options (PLAIN) list the users the listener accepts.
 */
import { ConfigError } from '../config/config-error.js';
import { listenerJaasEntry, type ListenerConfigLookup } from './jaas.js';
import { PLAIN } from './plain.js';
import type { SaslClient } from './sasl.js';
import { ScramSaslClient } from './scram-client.js';
import { isScramMechanism } from './scram.js';

/** A new client per connection for `mechanism` with the listener's JAAS credentials. */
export function saslClientFactory(lookup: ListenerConfigLookup, listenerName: string, mechanism: string, configName: string): () => SaslClient {
  if (mechanism !== PLAIN && !isScramMechanism(mechanism)) {
    throw new ConfigError(`${configName}=${mechanism}: Sluice's brokers authenticate to each other with PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 on listener ${listenerName}; set ${configName} to one of them`);
  }
  const entry = listenerJaasEntry(lookup, listenerName, mechanism);
  const username = entry.options.get('username');
  const password = entry.options.get('password');
  if (username === undefined || password === undefined) {
    throw new ConfigError(`listener ${listenerName}: the ${mechanism} JAAS config needs username="..." and password="..." for this broker's own connections to other nodes (${configName}=${mechanism})`);
  }
  if (mechanism === PLAIN) return () => plainClient(username, password);
  return () => scramClient(new ScramSaslClient(mechanism, username, password));
}

function plainClient(username: string, password: string): SaslClient {
  return {
    mechanism: PLAIN,
    first: () => Buffer.from(`\0${username}\0${password}`, 'utf8'),
    next: () => null,
  };
}

function scramClient(c: ScramSaslClient): SaslClient {
  let sentFinal = false;
  return {
    mechanism: c.mechanism,
    first: () => c.first(),
    next(serverToken) {
      if (!sentFinal) {
        sentFinal = true;
        return c.final(serverToken);
      }
      if (!c.verify(serverToken)) throw new Error('the server signature is wrong: it does not know the credential');
      return null;
    },
  };
}
