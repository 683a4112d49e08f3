/**
 * AlterConfigs (key 33), versions 0-2: replaces ALL dynamic configs of a topic or broker with the
 * ones given (configs left out are removed), validated like Kafka's (unknown name or bad value:
 * INVALID_CONFIG with a message). Changes are metadata records and apply live.
 */
import { AlterConfigs, type AlterConfigsRequest, type AlterConfigsResponse } from '../protocol/generated/33-alter-configs.js';
import { alterResources, type BrokerIdCheck } from './alter-configs-common.js';
import type { ApiHandler, RequestContext } from './registry.js';

function handlerFor(brokerIds: BrokerIdCheck): ApiHandler<AlterConfigsRequest, AlterConfigsResponse> {
  return {
    codec: AlterConfigs,
    minVersion: 0,
    maxVersion: 2,
    handle(req: AlterConfigsRequest, ctx: RequestContext): AlterConfigsResponse {
      const responses = alterResources(
        ctx.broker,
        req.resources,
        req.validateOnly,
        (_resolved, configs) => {
          const target = new Map<string, string>();
          for (const c of configs) {
            if (c.value === null) return `Null value not supported for ${c.name}`;
            target.set(c.name, c.value);
          }
          return target;
        },
        brokerIds,
        ctx,
      );
      return { throttleTimeMs: 0, responses };
    },
  };
}

/** A client listener: a broker resource names this node (or '' for the cluster). */
export const alterConfigsHandler = handlerFor('this-node');
/** The controller listener: any broker (alter-configs-common.ts). */
export const controllerAlterConfigsHandler = handlerFor('any');
