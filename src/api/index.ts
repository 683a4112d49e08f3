/** Registers every API handler. Adding an API: see protocol/README.md. */
import { produceHandler } from './00-produce.js';
import { fetchHandler } from './01-fetch.js';
import { listOffsetsHandler } from './02-list-offsets.js';
import { metadataHandler } from './03-metadata.js';
import { apiVersionsHandler } from './18-api-versions.js';
import { createTopicsHandler } from './19-create-topics.js';
import { deleteTopicsHandler } from './20-delete-topics.js';
import { describeConfigsHandler } from './32-describe-configs.js';
import { createPartitionsHandler } from './37-create-partitions.js';
import { describeClusterHandler } from './60-describe-cluster.js';
import type { HandlerRegistry } from './registry.js';

export function registerAll(r: HandlerRegistry): void {
  r.register(produceHandler);
  r.register(fetchHandler);
  r.register(listOffsetsHandler);
  r.register(metadataHandler);
  r.register(apiVersionsHandler);
  r.register(createTopicsHandler);
  r.register(deleteTopicsHandler);
  r.register(describeConfigsHandler);
  r.register(createPartitionsHandler);
  r.register(describeClusterHandler);
}
