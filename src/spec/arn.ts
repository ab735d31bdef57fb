// Bedrock-shaped ARNs and the model identifiers clients put in paths.

/** ARN of a foundation model: `arn:aws:bedrock:<region>::foundation-model/<id>`. */
export function foundationModelArn(region: string, modelId: string): string {
  return `arn:aws:bedrock:${region}::foundation-model/${modelId}`;
}

/**
 * Turns a model identifier from a path or body into a model id: a plain id, or any
 * Bedrock ARN whose resource part names the model (foundation-model/…, inference-profile/…).
 */
export function modelIdFromIdentifier(identifier: string): string {
  if (!identifier.startsWith("arn:")) return identifier;
  const resource = identifier.split(":").slice(5).join(":");
  const slash = resource.indexOf("/");
  return slash === -1 ? resource : resource.slice(slash + 1);
}
