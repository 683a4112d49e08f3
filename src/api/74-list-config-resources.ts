/**
 * ListConfigResources (key 74), versions 0-1. v0 is KIP-714's ListClientMetricsResources: the names
 * of the client metrics subscriptions. v1 (KIP-1142) lists the resources of the types asked for
 * (all of them when none is named), as Kafka 4.1.1 answers (differential scenario
 * list-config-resources): groups that have configs (32), client metrics subscriptions (16), the
 * brokers as broker-logger resources (8) and as brokers (4), and every topic, internal ones
 * included (2), in that order of types, names sorted within a type. A type outside these makes the
 * whole answer UNSUPPORTED_VERSION. Needs DESCRIBE_CONFIGS on the cluster
 * (CLUSTER_AUTHORIZATION_FAILED), as Kafka checks it.
 */
import { ErrorCode } from '../protocol/errors.js';
import { ListConfigResources, type ListConfigResourcesRequest, type ListConfigResourcesResponse } from '../protocol/generated/74-list-config-resources.js';
import { authorizeCluster, Op } from './authorize.js';
import { clusterBrokers } from './cluster-brokers.js';
import type { BrokerServices } from './context.js';
import type { ApiHandler, RequestContext } from './registry.js';

const GROUP = 32;
const CLIENT_METRICS = 16;
const BROKER_LOGGER = 8;
const BROKER = 4;
const TOPIC = 2;
/** The types v1 lists, in the order Kafka 4.1.1 answers them. */
const LISTED_TYPES = [GROUP, CLIENT_METRICS, BROKER_LOGGER, BROKER, TOPIC];

function namesOf(b: BrokerServices, type: number, listenerName: string): string[] {
  switch (type) {
    case GROUP:
      return [...b.image.groupConfigs.keys()].sort();
    case CLIENT_METRICS:
      return [...b.image.clientMetricsConfigs.keys()].sort();
    case BROKER_LOGGER:
    case BROKER:
      return clusterBrokers(b, listenerName).map((x) => String(x.nodeId));
    default:
      return [...b.image.topicsByName.keys()].sort();
  }
}

export const listConfigResourcesHandler: ApiHandler<ListConfigResourcesRequest, ListConfigResourcesResponse> = {
  codec: ListConfigResources,
  minVersion: 0,
  maxVersion: 1,
  handle(req: ListConfigResourcesRequest, ctx: RequestContext): ListConfigResourcesResponse {
    const answer = (errorCode: number, configResources: ListConfigResourcesResponse['configResources'] = []): ListConfigResourcesResponse => ({ throttleTimeMs: 0, errorCode, configResources });
    if (!authorizeCluster(ctx, Op.DESCRIBE_CONFIGS)) return answer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    const asked = ctx.apiVersion === 0 ? [CLIENT_METRICS] : req.resourceTypes.length === 0 ? LISTED_TYPES : req.resourceTypes;
    if (asked.some((type) => !LISTED_TYPES.includes(type))) return answer(ErrorCode.UNSUPPORTED_VERSION);
    const types = LISTED_TYPES.filter((type) => asked.includes(type));
    return answer(ErrorCode.NONE, types.flatMap((type) => namesOf(ctx.broker, type, ctx.session.listenerName).map((resourceName) => ({ resourceName, resourceType: type }))));
  },
};
