/**
 * AlterConfigs (key 33), versions 0-2: replaces ALL dynamic configs of a topic or broker with the
 * ones given (configs left out are removed), validated like Kafka's (unknown name or bad value:
 * INVALID_CONFIG with a message). Changes are metadata records and apply live.
 */
import { ErrorCode } from '../protocol/errors.js';
import { AlterConfigs, type AlterConfigsRequest, type AlterConfigsResponse } from '../protocol/generated/33-alter-configs.js';
import { duplicateNames, resolveResource } from './alter-configs-common.js';
import type { ApiHandler, RequestContext } from './registry.js';

export const alterConfigsHandler: ApiHandler<AlterConfigsRequest, AlterConfigsResponse> = {
  codec: AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
  handle(req: AlterConfigsRequest, ctx: RequestContext): AlterConfigsResponse {
    const b = ctx.broker;
    return {
      throttleTimeMs: 0,
      responses: req.resources.map((r) => {
        const base = { resourceType: r.resourceType, resourceName: r.resourceName };
        const dup = duplicateNames(r.configs.map((c) => c.name));
        if (dup.length > 0) return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Error due to duplicate config keys: ${dup.join(', ')}` };
        const resolved = resolveResource(b, r.resourceType, r.resourceName);
        if ('errorCode' in resolved) return { ...base, ...resolved };
        const target = new Map<string, string>();
        for (const c of r.configs) {
          if (c.value === null) return { ...base, errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Null value not supported for ${c.name}` };
          target.set(c.name, c.value);
        }
        const out = b.controller.alterConfigs(resolved.resource, target, req.validateOnly);
        return { ...base, errorCode: out.errorCode, errorMessage: out.errorMessage };
      }),
    };
  },
};
