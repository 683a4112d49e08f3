/**
 * Authorized-operations bit sets (KIP-430). Sluice has no authorizer, so every operation that
 * applies to a resource type is allowed; a field asked for gets the full set, one not asked for
 * gets Kafka's "not requested" sentinel.
 */

export const OPERATIONS_NOT_REQUESTED = -2147483648;

// AclOperation codes: READ 3, WRITE 4, CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8,
// CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12.
const bits = (...ops: number[]): number => ops.reduce((acc, op) => acc | (1 << op), 0);

export const TOPIC_ALL_OPERATIONS = bits(3, 4, 5, 6, 7, 8, 10, 11);
export const CLUSTER_ALL_OPERATIONS = bits(5, 7, 8, 9, 10, 11, 12);
