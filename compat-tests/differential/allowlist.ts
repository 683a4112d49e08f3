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

export const ALLOWLIST: readonly AllowEntry[] = [];

export function allowed(observation: string): AllowEntry | undefined {
  return ALLOWLIST.find((e) => e.observation.test(observation));
}
