/**
 * A broker-only node and its controller (Kafka's ForwardingManager and the broker's controller
 * channel): the connection to the controller's CONTROLLER listener, the handlers that hand
 * metadata changes (CreateTopics, DeleteTopics, CreatePartitions, AlterConfigs,
 * IncrementalAlterConfigs, ElectLeaders, AlterPartitionReassignments, ListPartitionReassignments,
 * CreateAcls, DeleteAcls, AlterUserScramCredentials, UpdateFeatures)
 * to the controller at the client's version and answer with the controller's answer, and the
 * Controller stand-in whose topic creation (auto-created and internal topics) asks the controller
 * instead of writing a metadata log this node only copies.
 */
import type { ApiHandler, RequestContext } from './api/registry.js';
import { createTopicsHandler } from './api/19-create-topics.js';
import { deleteTopicsHandler } from './api/20-delete-topics.js';
import { alterConfigsHandler } from './api/33-alter-configs.js';
import { configAuthorizationError, otherBrokerRefusal } from './api/alter-configs-common.js';
import { authorize, authorizeCluster, Op, Res } from './api/authorize.js';
import { createPartitionsHandler } from './api/37-create-partitions.js';
import { electLeadersHandler } from './api/43-elect-leaders.js';
import { incrementalAlterConfigsHandler } from './api/44-incremental-alter-configs.js';
import { alterPartitionReassignmentsHandler } from './api/45-alter-partition-reassignments.js';
import { listPartitionReassignmentsHandler } from './api/46-list-partition-reassignments.js';
import { createAclsHandler, createAclsRefusal } from './api/30-create-acls.js';
import { deleteAclsHandler, deleteAclsRefusal } from './api/31-delete-acls.js';
import { alterUserScramCredentialsHandler } from './api/51-alter-user-scram-credentials.js';
import { updateFeaturesHandler } from './api/57-update-features.js';
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
  createAclsHandler,
  deleteAclsHandler,
  alterUserScramCredentialsHandler,
  updateFeaturesHandler,
];

/**
 * What this node refuses before forwarding, with the client's own session (the controller sees
 * the broker's connection, not the client): a request not authorized here, or one that needs an
 * authorizer when none is configured.
 */
const REFUSED_BEFORE_FORWARDING: ReadonlyMap<number, (req: any, ctx: RequestContext) => unknown> = new Map<number, (req: any, ctx: RequestContext) => unknown>([
  [createAclsHandler.codec.apiKey, createAclsRefusal],
  [deleteAclsHandler.codec.apiKey, deleteAclsRefusal],
]);

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
  return FORWARDED_HANDLERS.map((h) => {
    const forward = CONFIG_APIS.has(h.codec.apiKey)
      ? (req: any, ctx: RequestContext) => forwardConfigs(client, h as ApiHandler<ConfigsRequest, ConfigsResponse>, req, ctx.apiVersion, ctx.broker.nodeId)
      : (req: any, ctx: RequestContext) => client.request(h.codec, req, { version: ctx.apiVersion });
    return { codec: h.codec, minVersion: h.minVersion, maxVersion: h.maxVersion, handle: (req: any, ctx: RequestContext) => forwardAuthorized(h, req, ctx, forward) };
  });
}

/**
 * Issue 13: the controller sees this broker's connection, not the client, so the client's
 * authority is checked here (with the same ACLs, this node's copy of the metadata) before
 * anything is forwarded. A request its client may not make at all is answered by the local
 * handler, whose refusal comes before any change; a request naming resources some of which are
 * refused is split: the refused ones answered by the local handler (refusals only), the rest
 * forwarded, the answers joined.
 */
async function forwardAuthorized(h: ApiHandler, req: any, ctx: RequestContext, forward: (req: any, ctx: RequestContext) => Promise<any>): Promise<any> {
  const key = h.codec.apiKey;
  const refusal = REFUSED_BEFORE_FORWARDING.get(key)?.(req, ctx);
  if (refusal) return refusal;
  if (ctx.broker.authorizer === null) return forward(req, ctx);
  if (WHOLLY_REFUSED.get(key)?.(ctx)) return h.handle(req, ctx);
  const split = SPLITS.get(key);
  if (!split) return forward(req, ctx);
  const field = split.requestField(ctx.apiVersion);
  const items: unknown[] = req[field];
  const denied = items.filter((item) => split.denied(item, ctx));
  if (denied.length === 0) return forward(req, ctx);
  const local = await h.handle({ ...req, [field]: denied }, ctx);
  const allowed = items.filter((item) => !split.denied(item, ctx));
  if (allowed.length === 0) return local;
  const forwarded = await forward({ ...req, [field]: allowed }, ctx);
  return { ...forwarded, [split.responseField]: [...forwarded[split.responseField], ...local[split.responseField]] };
}

/** The forwarded APIs needing one operation on the cluster: refused whole by the local handler. */
const WHOLLY_REFUSED: ReadonlyMap<number, (ctx: RequestContext) => boolean> = new Map([
  [electLeadersHandler.codec.apiKey, (ctx: RequestContext) => !authorizeCluster(ctx, Op.ALTER)],
  [alterPartitionReassignmentsHandler.codec.apiKey, (ctx: RequestContext) => !authorizeCluster(ctx, Op.ALTER)],
  [listPartitionReassignmentsHandler.codec.apiKey, (ctx: RequestContext) => !authorizeCluster(ctx, Op.DESCRIBE)],
  [alterUserScramCredentialsHandler.codec.apiKey, (ctx: RequestContext) => !authorizeCluster(ctx, Op.ALTER)],
  [updateFeaturesHandler.codec.apiKey, (ctx: RequestContext) => !authorizeCluster(ctx, Op.ALTER)],
]);

/** The forwarded APIs checked per resource: which request items the local handler refuses. */
interface AuthSplit {
  requestField(version: number): string;
  responseField: string;
  denied(item: any, ctx: RequestContext): boolean;
}

const topicDeleteRefused = (item: { name: string | null; topicId: Buffer } | string, ctx: RequestContext): boolean => {
  if (authorizeCluster(ctx, Op.DELETE)) return false;
  const byId = typeof item !== 'string' && item.name === null;
  const name = typeof item === 'string' ? item : item.name;
  const t = byId ? ctx.broker.image.topicsById.get((item as { topicId: Buffer }).topicId.toString('base64url')) : ctx.broker.image.topicsByName.get(name!);
  if (t) return !authorize(ctx, Op.DELETE, Res.TOPIC, t.name);
  return !byId && !authorize(ctx, Op.DESCRIBE, Res.TOPIC, name!);
};

const configsSplit: AuthSplit = {
  requestField: () => 'resources',
  responseField: 'responses',
  denied: (r: { resourceType: number; resourceName: string }, ctx) => configAuthorizationError(ctx, Op.ALTER_CONFIGS, r.resourceType, r.resourceName) !== null,
};

const SPLITS: ReadonlyMap<number, AuthSplit> = new Map<number, AuthSplit>([
  [createTopicsHandler.codec.apiKey, { requestField: () => 'topics', responseField: 'topics', denied: (t: { name: string }, ctx) => !authorizeCluster(ctx, Op.CREATE) && !authorize(ctx, Op.CREATE, Res.TOPIC, t.name) }],
  [deleteTopicsHandler.codec.apiKey, { requestField: (v) => (v >= 6 ? 'topics' : 'topicNames'), responseField: 'responses', denied: topicDeleteRefused }],
  [createPartitionsHandler.codec.apiKey, { requestField: () => 'topics', responseField: 'results', denied: (t: { name: string }, ctx) => !authorize(ctx, Op.ALTER, Res.TOPIC, t.name) }],
  [alterConfigsHandler.codec.apiKey, configsSplit],
  [incrementalAlterConfigsHandler.codec.apiKey, configsSplit],
]);

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
