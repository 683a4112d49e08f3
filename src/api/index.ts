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
import { offsetCommitHandler } from './08-offset-commit.js';
import { offsetFetchHandler } from './09-offset-fetch.js';
import { findCoordinatorHandler } from './10-find-coordinator.js';
import { joinGroupHandler } from './11-join-group.js';
import { heartbeatHandler } from './12-heartbeat.js';
import { leaveGroupHandler } from './13-leave-group.js';
import { syncGroupHandler } from './14-sync-group.js';
import { describeGroupsHandler } from './15-describe-groups.js';
import { listGroupsHandler } from './16-list-groups.js';
import { deleteGroupsHandler } from './42-delete-groups.js';
import { offsetDeleteHandler } from './47-offset-delete.js';
import { initProducerIdHandler } from './22-init-producer-id.js';
import type { HandlerRegistry } from './registry.js';

export function registerAll(r: HandlerRegistry): void {
  r.register(produceHandler);
  r.register(fetchHandler);
  r.register(listOffsetsHandler);
  r.register(metadataHandler);
  r.register(offsetCommitHandler);
  r.register(offsetFetchHandler);
  r.register(findCoordinatorHandler);
  r.register(joinGroupHandler);
  r.register(heartbeatHandler);
  r.register(leaveGroupHandler);
  r.register(syncGroupHandler);
  r.register(describeGroupsHandler);
  r.register(listGroupsHandler);
  r.register(apiVersionsHandler);
  r.register(createTopicsHandler);
  r.register(initProducerIdHandler);
  r.register(deleteTopicsHandler);
  r.register(describeConfigsHandler);
  r.register(createPartitionsHandler);
  r.register(describeClusterHandler);
  r.register(deleteGroupsHandler);
  r.register(offsetDeleteHandler);
}
