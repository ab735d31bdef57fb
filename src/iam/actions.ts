// Which IAM action and resource ARN govern each API operation Basalt serves, as data. Names
// follow Bedrock's service authorization reference: Converse is governed by InvokeModel and
// ConverseStream by InvokeModelWithResponseStream, as on AWS.
import { foundationModelArn, modelIdFromIdentifier } from "../spec/arn.ts";

/** Bedrock IAM actions Basalt knows; the policy parser warns about other `bedrock:` names. */
export const BEDROCK_ACTIONS = [
  "bedrock:InvokeModel",
  "bedrock:InvokeModelWithResponseStream",
  "bedrock:CountTokens",
  "bedrock:CallWithBearerToken",
  "bedrock:ListFoundationModels",
  "bedrock:GetFoundationModel",
  "bedrock:ListInferenceProfiles",
  "bedrock:GetInferenceProfile",
  "bedrock:ApplyGuardrail",
  "bedrock:CreateGuardrail",
  "bedrock:CreateGuardrailVersion",
  "bedrock:GetGuardrail",
  "bedrock:ListGuardrails",
  "bedrock:UpdateGuardrail",
  "bedrock:DeleteGuardrail",
  "bedrock:CreateKnowledgeBase",
  "bedrock:GetKnowledgeBase",
  "bedrock:ListKnowledgeBases",
  "bedrock:UpdateKnowledgeBase",
  "bedrock:DeleteKnowledgeBase",
  "bedrock:CreateDataSource",
  "bedrock:GetDataSource",
  "bedrock:ListDataSources",
  "bedrock:UpdateDataSource",
  "bedrock:DeleteDataSource",
  "bedrock:StartIngestionJob",
  "bedrock:GetIngestionJob",
  "bedrock:ListIngestionJobs",
  "bedrock:Retrieve",
  "bedrock:RetrieveAndGenerate",
  "bedrock:CreateAgent",
  "bedrock:GetAgent",
  "bedrock:ListAgents",
  "bedrock:UpdateAgent",
  "bedrock:DeleteAgent",
  "bedrock:InvokeAgent",
  "bedrock:CreateModelCustomizationJob",
  "bedrock:GetModelCustomizationJob",
  "bedrock:ListModelCustomizationJobs",
  "bedrock:StopModelCustomizationJob",
  "bedrock:GetCustomModel",
  "bedrock:ListCustomModels",
  "bedrock:CreateModelInvocationJob",
  "bedrock:GetModelInvocationJob",
  "bedrock:ListModelInvocationJobs",
  "bedrock:CreateEvaluationJob",
  "bedrock:GetEvaluationJob",
  "bedrock:ListEvaluationJobs",
  "bedrock:PutModelInvocationLoggingConfiguration",
  "bedrock:GetModelInvocationLoggingConfiguration",
  "bedrock:DeleteModelInvocationLoggingConfiguration",
  "bedrock:TagResource",
  "bedrock:UntagResource",
  "bedrock:ListTagsForResource",
] as const;

/** Account-scoped Bedrock resource types, as they appear in ARNs. */
export type AccountResourceType =
  | "knowledge-base"
  | "guardrail"
  | "agent"
  | "agent-alias"
  | "custom-model"
  | "model-customization-job"
  | "model-invocation-job"
  | "evaluation-job"
  | "inference-profile"
  | "application-inference-profile"
  | "provisioned-model";

/** ARN of an account's resource: `arn:aws:bedrock:<region>:<account>:<type>/<id>`. */
export function accountResourceArn(options: { region: string; accountId: string; type: AccountResourceType; id: string }): string {
  return `arn:aws:bedrock:${options.region}:${options.accountId}:${options.type}/${options.id}`;
}

/**
 * The ARN a model invocation is authorized on. Basalt resolves any identifier, ARN or not,
 * to the model id it then serves (spec/arn.ts), so authorization uses the foundation-model
 * ARN of that id in this server's region: naming another region or resource type in the
 * ARN must not dodge a Deny on the model actually served.
 */
export function modelResourceArn(region: string, identifier: string): string {
  return foundationModelArn(region, modelIdFromIdentifier(identifier));
}

/** What the router knows when it authorizes a request. */
export interface AuthorizationInput {
  region: string;
  /** The model id or ARN from the path or body, for model operations. */
  model?: string;
  /** For the OpenAI chat route: the body asked for a stream. */
  stream?: boolean;
}

/** How one operation is authorized. */
export interface OperationAuthorization {
  surface: "bedrock-runtime" | "bedrock" | "openai";
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** The route as registered with the router. */
  path: string;
  action: (typeof BEDROCK_ACTIONS)[number];
  /** The action when the request streams, where one route serves both. */
  streamAction?: (typeof BEDROCK_ACTIONS)[number];
  /** `model`: the foundation-model ARN of the named model; `*`: no resource-level scoping. */
  resource: "model" | "*";
}

/** Every operation Basalt serves today, keyed by its Bedrock (or OpenAI) operation name. */
export const OPERATIONS = {
  Converse: { surface: "bedrock-runtime", method: "POST", path: "/model/:modelId/converse", action: "bedrock:InvokeModel", resource: "model" },
  ConverseStream: { surface: "bedrock-runtime", method: "POST", path: "/model/:modelId/converse-stream", action: "bedrock:InvokeModelWithResponseStream", resource: "model" },
  InvokeModel: { surface: "bedrock-runtime", method: "POST", path: "/model/:modelId/invoke", action: "bedrock:InvokeModel", resource: "model" },
  InvokeModelWithResponseStream: { surface: "bedrock-runtime", method: "POST", path: "/model/:modelId/invoke-with-response-stream", action: "bedrock:InvokeModelWithResponseStream", resource: "model" },
  CountTokens: { surface: "bedrock-runtime", method: "POST", path: "/model/:modelId/count-tokens", action: "bedrock:CountTokens", resource: "model" },
  ListFoundationModels: { surface: "bedrock", method: "GET", path: "/foundation-models", action: "bedrock:ListFoundationModels", resource: "*" },
  GetFoundationModel: { surface: "bedrock", method: "GET", path: "/foundation-models/:modelIdentifier", action: "bedrock:GetFoundationModel", resource: "model" },
  "openai.ChatCompletions": { surface: "openai", method: "POST", path: "/v1/chat/completions", action: "bedrock:InvokeModel", streamAction: "bedrock:InvokeModelWithResponseStream", resource: "model" },
  "openai.Embeddings": { surface: "openai", method: "POST", path: "/v1/embeddings", action: "bedrock:InvokeModel", resource: "model" },
  "openai.ListModels": { surface: "openai", method: "GET", path: "/v1/models", action: "bedrock:ListFoundationModels", resource: "*" },
  "openai.GetModel": { surface: "openai", method: "GET", path: "/v1/models/*", action: "bedrock:GetFoundationModel", resource: "model" },
  GetModelInvocationLoggingConfiguration: { surface: "bedrock", method: "GET", path: "/logging/modelinvocations", action: "bedrock:GetModelInvocationLoggingConfiguration", resource: "*" },
  PutModelInvocationLoggingConfiguration: { surface: "bedrock", method: "PUT", path: "/logging/modelinvocations", action: "bedrock:PutModelInvocationLoggingConfiguration", resource: "*" },
  DeleteModelInvocationLoggingConfiguration: { surface: "bedrock", method: "DELETE", path: "/logging/modelinvocations", action: "bedrock:DeleteModelInvocationLoggingConfiguration", resource: "*" },
} as const satisfies Record<string, OperationAuthorization>;

/** An operation name from {@link OPERATIONS}. */
export type OperationName = keyof typeof OPERATIONS;

/** The action and resource to evaluate for one request to `operation`. */
export function authorizationFor(operation: OperationName, input: AuthorizationInput): { action: string; resource: string } {
  const spec: OperationAuthorization = OPERATIONS[operation];
  const action = input.stream && spec.streamAction ? spec.streamAction : spec.action;
  if (spec.resource === "*") return { action, resource: "*" };
  if (!input.model) throw new Error(`Operation ${operation} is authorized on a model, but none was given.`);
  return { action, resource: modelResourceArn(input.region, input.model) };
}
