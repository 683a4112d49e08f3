/**
 * GET /connections: the open client connections of every listener (control/observer.ts),
 * oldest first.
 *
 *   [{"id": 3, "listener": "PLAINTEXT", "remote": "127.0.0.1:53122", "clientId": "rdkafka",
 *     "clientSoftware": "librdkafka", "clientSoftwareVersion": "2.3.0", "principal": "User:ANONYMOUS",
 *     "openedMs": 1764667800000, "requests": 12, "requestsPerSec": 2.4,
 *     "apiVersions": {"ApiVersions": 3, "Metadata": 12, "Produce": 9}}]
 *
 * `requestsPerSec` is over the last complete 5-second window (since the connection opened, during
 * its first); `apiVersions` the version each API was last used at.
 */
import type { ConnectionView, Observer } from '../control/observer.js';

export function connectionsRoute(observer: Observer): ConnectionView[] {
  return observer.connections();
}
