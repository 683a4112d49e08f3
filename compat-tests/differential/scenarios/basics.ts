/** ApiVersions and Metadata: what every client asks first. */
import type { Scenario } from '../framework.js';
import { ApiVersions, Metadata } from '../../../src/protocol/generated/index.js';

export const basics: Scenario[] = [
  {
    name: 'api-versions',
    async run(t, see) {
      for (const v of [0, 1, 2, 3, 4]) {
        const res = await t.request(ApiVersions, v, { clientSoftwareName: 'sluice-differential', clientSoftwareVersion: '1.0' });
        see.code(`v${v}/error`, res.errorCode);
        if (v === 3) {
          for (const k of res.apiKeys) see.see(`key${k.apiKey}`, `${k.minVersion}-${k.maxVersion}`);
        }
      }
    },
  },
  {
    name: 'metadata-empty',
    async run(t, see) {
      for (const v of [1, 4, 9, 12, 13]) {
        const res = await t.request(Metadata, v, { topics: [], allowAutoTopicCreation: v >= 4 ? false : true, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
        see.see(`v${v}`, { brokers: res.brokers, clusterId: res.clusterId, controllerId: res.controllerId, topics: res.topics, errorCode: res.errorCode });
      }
    },
  },
];
