/**
 * A broker-only node and its controller (Kafka's ForwardingManager and the broker's controller
 * channel): the connection to the controller's CONTROLLER listener, the handlers that hand
 * metadata changes (CreateTopics, DeleteTopics, CreatePartitions, AlterConfigs,
 * IncrementalAlterConfigs, ElectLeaders, AlterPartitionReassignments, ListPartitionReassignments,
 * AlterUserScramCredentials)
 * to the controller at the client's version and answer with the controller's answer, and the
 * Controller stand-in whose topic creation (auto-created and internal topics) asks the controller
 * instead of writing a metadata log this node only copies.
 */
import type { ApiHandler } from './api/registry.js';
import { createTopicsHandler } from './api/19-create-topics.js';
import { deleteTopicsHandler } from './api/20-delete-topics.js';
import { alterConfigsHandler } from './api/33-alter-configs.js';
import { otherBrokerRefusal } from './api/alter-configs-common.js';
import { createPartitionsHandler } from './api/37-create-partitions.js';
import { electLeadersHandler } from './api/43-elect-leaders.js';
import { incrementalAlterConfigsHandler } from './api/44-incremental-alter-configs.js';
import { alterPartitionReassignmentsHandler } from './api/45-alter-partition-reassignments.js';
import { listPartitionReassignmentsHandler } from './api/46-list-partition-reassignments.js';
import { alterUserScramCredentialsHandler } from './api/51-alter-user-scram-credentials.js';
import type { BrokerConfig } from './config/broker-config.js';
import { Controller, type CreateTopicSpec, type MetadataLogWriter } from './metadata/controller.js';
import type { MetadataImage } from './metadata/image.js';
import { clientSecurity } from './net/listener-security.js';
import { NodeClient } from './net/node-client.js';
import { ErrorCode } from './protocol/errors.js';

/** The client APIs a broker-only node forwards to its controller. */
export const FORWARDED_HANDLERS: readonly ApiHandler[] = [
  createTopicsHandler,
  deleteTopicsHandler,
  createPartitionsHandler,
  alterConfigsHandler,
  incrementalAlterConfigsHandler,
  electLeadersHandler,
  alterPartitionReassignmentsHandler,
  listPartitionReassignmentsHandler,
  alterUserScramCredentialsHandler,
];

/** A connection to the controller this broker-only node is configured with (the first voter, else the first bootstrap server). */
export function controllerClientFor(config: BrokerConfig, nodeId: number): NodeClient {
  const target = config.quorum.voters[0] ?? config.quorum.bootstrapServers[0];
  if (!target) throw new Error('no controller address: controller.quorum.voters and controller.quorum.bootstrap.servers are empty');
  const listener = config.controllerListenerNames[0];
  return new NodeClient({
    ...(listener ? clientSecurity(config, listener, 'sasl.mechanism.controller.protocol') : {}),
    host: target.host,
    port: target.port,
    clientId: `broker-${nodeId}`,
    requestTimeoutMs: Math.max(config.quorum.requestTimeoutMs, 30_000),
    connectTimeoutMs: 10_000,
    reconnectBackoffMs: config.quorum.retryBackoffMs,
    inFlightMax: 16,
    responseBytesMax: 64 << 20,
  });
}

/** Handlers that forward the client's request to the controller and answer with its answer. */
export function forwardingHandlers(client: NodeClient): ApiHandler[] {
  return FORWARDED_HANDLERS.map((h) => ({
    codec: h.codec,
    minVersion: h.minVersion,
    maxVersion: h.maxVersion,
    handle: CONFIG_APIS.has(h.codec.apiKey)
      ? (req: ConfigsRequest, ctx) => forwardConfigs(client, h as ApiHandler<ConfigsRequest, ConfigsResponse>, req, ctx.apiVersion, ctx.broker.nodeId)
      : (req, ctx) => client.request(h.codec, req, { version: ctx.apiVersion }),
  }));
}

/** AlterConfigs and IncrementalAlterConfigs: their broker resources are checked here first. */
const CONFIG_APIS: ReadonlySet<number> = new Set([alterConfigsHandler.codec.apiKey, incrementalAlterConfigsHandler.codec.apiKey]);

interface ConfigsRequest {
  resources: Array<{ resourceType: number; resourceName: string }>;
}
interface ConfigsResponse {
  throttleTimeMs: number;
  responses: Array<{ errorCode: number; errorMessage: string | null; resourceType: number; resourceName: string }>;
}

/**
 * Kafka's broker refuses a broker resource that names another broker before it forwards the rest
 * (ConfigAdminManager.preprocess); the controller then takes any broker id.
 */
async function forwardConfigs(client: NodeClient, h: ApiHandler<ConfigsRequest, ConfigsResponse>, req: ConfigsRequest, version: number, nodeId: number): Promise<ConfigsResponse> {
  const refused = req.resources.map((r) => otherBrokerRefusal(nodeId, r.resourceType, r.resourceName));
  if (refused.every((r) => r === null)) return client.request(h.codec, req, { version });
  const rest = req.resources.filter((_, i) => refused[i] === null);
  const forwarded = rest.length > 0 ? await client.request(h.codec, { ...req, resources: rest }, { version }) : { throttleTimeMs: 0, responses: [] };
  let next = 0;
  const responses = req.resources.map((r, i) => {
    const refusal = refused[i];
    return refusal ? { ...refusal, resourceType: r.resourceType, resourceName: r.resourceName } : forwarded.responses[next++]!;
  });
  return { throttleTimeMs: forwarded.throttleTimeMs, responses };
}

/** The metadata log of a broker-only node is the controller's: nothing here may write it. */
const NOT_A_CONTROLLER: MetadataLogWriter = {
  get logEndOffset(): bigint {
    throw new Error('a broker-only node has no metadata log of its own to write');
  },
  append(): void {
    throw new Error('a broker-only node forwards metadata changes to its controller');
  },
};

/**
 * The Controller of a broker-only node: reads (topic name and config checks, placement rules)
 * come from its copy of the metadata; a topic creation it is asked for (Metadata's auto-create,
 * the coordinators' internal topics) goes to the controller, and the caller hears
 * UNKNOWN_TOPIC_OR_PARTITION (retriable) until the topic reaches this node's metadata.
 */
export class ForwardingController extends Controller {
  constructor(
    image: MetadataImage,
    nodeId: number,
    defaults: { numPartitions: number; replicationFactor: number },
    config: BrokerConfig,
    private readonly forward: (topic: string) => void,
  ) {
    super(image, NOT_A_CONTROLLER, nodeId, defaults, { clusterId: null, config, implicitLocalBroker: false });
  }

  override createTopic(request: CreateTopicSpec, validateOnly: boolean): ReturnType<Controller['createTopic']> {
    if (validateOnly) return super.createTopic(request, true);
    this.forward(request.name);
    return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `${request.name} is being created by the controller`, numPartitions: -1, replicationFactor: -1 };
  }
}
