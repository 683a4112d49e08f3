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
import { consumerGroupHeartbeatHandler } from './68-consumer-group-heartbeat.js';
import { consumerGroupDescribeHandler } from './69-consumer-group-describe.js';
import { shareGroupHeartbeatHandler } from './76-share-group-heartbeat.js';
import { shareGroupDescribeHandler } from './77-share-group-describe.js';
import { shareFetchHandler } from './78-share-fetch.js';
import { shareAcknowledgeHandler } from './79-share-acknowledge.js';
import { readShareGroupStateHandler } from './84-read-share-group-state.js';
import { writeShareGroupStateHandler } from './85-write-share-group-state.js';
import { readShareGroupStateSummaryHandler } from './87-read-share-group-state-summary.js';
import { describeShareGroupOffsetsHandler } from './90-describe-share-group-offsets.js';
import { deleteGroupsHandler } from './42-delete-groups.js';
import { electLeadersHandler } from './43-elect-leaders.js';
import { alterPartitionReassignmentsHandler } from './45-alter-partition-reassignments.js';
import { listPartitionReassignmentsHandler } from './46-list-partition-reassignments.js';
import { offsetDeleteHandler } from './47-offset-delete.js';
import { initProducerIdHandler } from './22-init-producer-id.js';
import { offsetForLeaderEpochHandler } from './23-offset-for-leader-epoch.js';
import { addPartitionsToTxnHandler } from './24-add-partitions-to-txn.js';
import { addOffsetsToTxnHandler } from './25-add-offsets-to-txn.js';
import { endTxnHandler } from './26-end-txn.js';
import { writeTxnMarkersHandler } from './27-write-txn-markers.js';
import { txnOffsetCommitHandler } from './28-txn-offset-commit.js';
import { describeProducersHandler } from './61-describe-producers.js';
import { describeTransactionsHandler } from './65-describe-transactions.js';
import { listTransactionsHandler } from './66-list-transactions.js';
import { deleteRecordsHandler } from './21-delete-records.js';
import { alterConfigsHandler, controllerAlterConfigsHandler } from './33-alter-configs.js';
import { describeLogDirsHandler } from './35-describe-log-dirs.js';
import { controllerIncrementalAlterConfigsHandler, incrementalAlterConfigsHandler } from './44-incremental-alter-configs.js';
import { saslHandshakeHandler } from './17-sasl-handshake.js';
import { saslAuthenticateHandler } from './36-sasl-authenticate.js';
import { fetchMetadataHandler } from './01-fetch-metadata.js';
import { alterPartitionHandler } from './56-alter-partition.js';
import { brokerRegistrationHandler } from './62-broker-registration.js';
import { brokerHeartbeatHandler } from './63-broker-heartbeat.js';
import { allocateProducerIdsHandler } from './67-allocate-producer-ids.js';
import { describeAclsHandler } from './29-describe-acls.js';
import { createAclsHandler } from './30-create-acls.js';
import { deleteAclsHandler } from './31-delete-acls.js';
import { describeUserScramCredentialsHandler } from './50-describe-user-scram-credentials.js';
import { alterUserScramCredentialsHandler } from './51-alter-user-scram-credentials.js';
import { describeTopicPartitionsHandler } from './75-describe-topic-partitions.js';
import { getTelemetrySubscriptionsHandler } from './71-get-telemetry-subscriptions.js';
import { pushTelemetryHandler } from './72-push-telemetry.js';
import { listConfigResourcesHandler } from './74-list-config-resources.js';
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
  r.register(consumerGroupHeartbeatHandler);
  r.register(consumerGroupDescribeHandler);
  r.register(shareGroupHeartbeatHandler);
  r.register(shareGroupDescribeHandler);
  r.register(shareFetchHandler);
  r.register(shareAcknowledgeHandler);
  r.register(readShareGroupStateHandler);
  r.register(writeShareGroupStateHandler);
  r.register(readShareGroupStateSummaryHandler);
  r.register(describeShareGroupOffsetsHandler);
  r.register(apiVersionsHandler);
  r.register(createTopicsHandler);
  r.register(initProducerIdHandler);
  r.register(offsetForLeaderEpochHandler);
  r.register(addPartitionsToTxnHandler);
  r.register(addOffsetsToTxnHandler);
  r.register(endTxnHandler);
  r.register(writeTxnMarkersHandler);
  r.register(txnOffsetCommitHandler);
  r.register(describeProducersHandler);
  r.register(describeTransactionsHandler);
  r.register(listTransactionsHandler);
  r.register(deleteTopicsHandler);
  r.register(describeConfigsHandler);
  r.register(alterConfigsHandler);
  r.register(incrementalAlterConfigsHandler);
  r.register(deleteRecordsHandler);
  r.register(describeLogDirsHandler);
  r.register(createPartitionsHandler);
  r.register(describeClusterHandler);
  r.register(deleteGroupsHandler);
  r.register(electLeadersHandler);
  r.register(alterPartitionReassignmentsHandler);
  r.register(listPartitionReassignmentsHandler);
  r.register(offsetDeleteHandler);
  r.register(saslHandshakeHandler);
  r.register(saslAuthenticateHandler);
  r.register(describeAclsHandler);
  r.register(createAclsHandler);
  r.register(deleteAclsHandler);
  r.register(describeUserScramCredentialsHandler);
  r.register(alterUserScramCredentialsHandler);
  r.register(describeTopicPartitionsHandler);
  r.register(getTelemetrySubscriptionsHandler);
  r.register(pushTelemetryHandler);
  r.register(listConfigResourcesHandler);
}

/**
 * The APIs of a CONTROLLER listener (a node with the controller role): what brokers ask the
 * controller. Clients never see these on the client listener, as in Kafka.
 */
export function registerControllerApis(r: HandlerRegistry): void {
  r.register(apiVersionsHandler);
  // A SASL controller listener authenticates brokers first (net/sasl-authenticator.ts answers these
  // before authentication; afterwards the handlers answer ILLEGAL_SASL_STATE).
  r.register(saslHandshakeHandler);
  r.register(saslAuthenticateHandler);
  r.register(fetchMetadataHandler);
  // What broker-only nodes forward (forwarding.ts), answered from this controller.
  r.register(createTopicsHandler);
  r.register(deleteTopicsHandler);
  r.register(createPartitionsHandler);
  // Broker resources of any broker: the broker that forwarded them checked they name it.
  r.register(controllerAlterConfigsHandler);
  r.register(controllerIncrementalAlterConfigsHandler);
  r.register(electLeadersHandler);
  r.register(alterPartitionReassignmentsHandler);
  r.register(listPartitionReassignmentsHandler);
  r.register(createAclsHandler);
  r.register(deleteAclsHandler);
  r.register(alterUserScramCredentialsHandler);
  r.register(brokerRegistrationHandler);
  r.register(brokerHeartbeatHandler);
  r.register(alterPartitionHandler);
  r.register(allocateProducerIdsHandler);
}
