/**
 * The differences between Apache Kafka and Sluice that the differential suite accepts, each with
 * its reason. Everything else that differs fails the suite, and an entry that no longer matches a
 * difference fails it too (so this list stays the true list). Each reason is a deliberate choice
 * the README documents under "Where Sluice differs from Kafka".
 *
 * `observation` matches the whole name `<scenario>/<observation>`.
 */
export interface AllowEntry {
  readonly observation: RegExp;
  readonly reason: string;
}

export const ALLOWLIST: readonly AllowEntry[] = [
  {
    observation: /^div-dynamic-broker\/broker\/(no\.such\.config|ssl\.cipher\.suites)\/error$/,
    reason:
      'Broker AlterConfigs: Kafka stores any name on a broker resource, unknown ones and the listener TLS/SASL settings included; Sluice accepts only the dynamic configs it knows (log defaults, thread pools, cleaner, connection quotas, producer state) and refuses the rest with INVALID_REQUEST rather than store settings it would not apply (TLS is not reloaded at run time).',
  },
];

export function allowed(observation: string): AllowEntry | undefined {
  return ALLOWLIST.find((e) => e.observation.test(observation));
}
