/**
 * Authorized-operations bit sets (KIP-430): a field not asked for carries Kafka's "not requested"
 * sentinel. The sets themselves come from the authorizer (api/authorize.ts `authorizedOperations`,
 * auth/authorizer.ts SUPPORTED_OPERATIONS): with none configured, every operation the resource
 * type has.
 */

export const OPERATIONS_NOT_REQUESTED = -2147483648;
