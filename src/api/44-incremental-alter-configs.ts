/**
 * IncrementalAlterConfigs (key 44), versions 0-1 (KIP-339): per config SET (0), DELETE (1),
 * APPEND (2) or SUBTRACT (3); APPEND and SUBTRACT only for list configs (cleanup.policy), adding
 * or removing values of the current effective list. Validated like Kafka's and applied live.
 */
import { topicConfigByName, brokerConfigByName } from '../config/definitions.js';
import { IncrementalAlterConfigs, type IncrementalAlterConfigsRequest, type IncrementalAlterConfigsResponse } from '../protocol/generated/44-incremental-alter-configs.js';
import type { BrokerServices } from './context.js';
import { alterResources, type BrokerIdCheck, type ResolvedResource } from './alter-configs-common.js';
import type { ApiHandler, RequestContext } from './registry.js';

const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

type Op = IncrementalAlterConfigsRequest['resources'][number]['configs'][number];

/** The current effective value of a config of the resource (for APPEND/SUBTRACT on an unset one). */
function effective(b: BrokerServices, r: ResolvedResource, name: string): string {
  const set = r.current.get(name);
  if (set !== undefined) return set;
  if (r.resource.type === 'topic') return b.config.topicDefault(name).value ?? '';
  if (r.resource.type === 'client-metrics' || r.resource.type === 'group') return '';
  return b.config.get(name) ?? '';
}

/** A config's definition, as far as APPEND and SUBTRACT need it (whether it is a list). */
function configDef(r: ResolvedResource, name: string): { type: string } | undefined {
  // Kafka 4.1.1 refuses APPEND and SUBTRACT on every client metrics config (INVALID_CONFIG), its
  // list-typed ones too (differential scenario client-metrics-configs).
  if (r.resource.type === 'client-metrics') return undefined;
  return r.resource.type === 'topic' ? topicConfigByName.get(name) : brokerConfigByName.get(name);
}

function apply(b: BrokerServices, r: ResolvedResource, ops: readonly Op[]): Map<string, string> | string {
  const target = new Map(r.current);
  for (const op of ops) {
    const def = configDef(r, op.name);
    switch (op.configOperation) {
      case SET:
        if (op.value === null) return `Null value not supported for ${op.name}`;
        target.set(op.name, op.value);
        break;
      case DELETE:
        target.delete(op.name);
        break;
      case APPEND:
      case SUBTRACT: {
        if (def?.type !== 'list') return `Config value ${op.configOperation === APPEND ? 'append' : 'subtract'} is not allowed for config key: ${op.name}`;
        const items = effective(b, r, op.name).split(',').map((s) => s.trim()).filter((s) => s !== '');
        const given = (op.value ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
        const next = op.configOperation === APPEND ? [...items, ...given.filter((g) => !items.includes(g))] : items.filter((i) => !given.includes(i));
        target.set(op.name, next.join(','));
        break;
      }
      default:
        return `Unknown config operation ${op.configOperation} for ${op.name}`;
    }
  }
  return target;
}

function handlerFor(brokerIds: BrokerIdCheck): ApiHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse> {
  return {
    codec: IncrementalAlterConfigs,
    minVersion: 0,
    maxVersion: 1,
    handle(req: IncrementalAlterConfigsRequest, ctx: RequestContext): IncrementalAlterConfigsResponse {
      const b = ctx.broker;
      return { throttleTimeMs: 0, responses: alterResources(b, req.resources, req.validateOnly, (resolved, configs) => apply(b, resolved, configs), brokerIds, ctx) };
    },
  };
}

/** A client listener: a broker resource names this node (or '' for the cluster). */
export const incrementalAlterConfigsHandler = handlerFor('this-node');
/** The controller listener: any broker (alter-configs-common.ts). */
export const controllerIncrementalAlterConfigsHandler = handlerFor('any');
