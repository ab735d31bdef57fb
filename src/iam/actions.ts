// Which IAM action and resource ARN govern each API operation Basalt serves, as data. Names
// follow Bedrock's service authorization reference: Converse is governed by InvokeModel and
// ConverseStream by InvokeModelWithResponseStream, as on AWS.
import { foundationModelArn, modelIdFromIdentifier } from "../spec/arn.ts";

/** Bedrock IAM actions Basalt knows; the policy parser warns about other `bedrock:` names. */
export const BEDROCK_ACTIONS = [
  // Basalt's Prometheus metrics: CloudWatch's read action, as AWS governs Bedrock's metrics.
  "cloudwatch:GetMetricData",
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
  "bedrock:StopIngestionJob",
  "bedrock:IngestKnowledgeBaseDocuments",
  "bedrock:DeleteKnowledgeBaseDocuments",
  "bedrock:GetKnowledgeBaseDocuments",
  "bedrock:ListKnowledgeBaseDocuments",
  "bedrock:Retrieve",
  "bedrock:RetrieveAndGenerate",
  "bedrock:Rerank",
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

/** ARN of a knowledge base: `arn:aws:bedrock:<region>:<account>:knowledge-base/<id>`. */
export function knowledgeBaseArn(region: string, accountId: string, knowledgeBaseId: string): string {
  return accountResourceArn({ region, accountId, type: "knowledge-base", id: knowledgeBaseId });
}

/** ARN of a guardrail named by an id in the caller's account, or by its ARN (kept as given, so another account's is refused). */
export function guardrailArn(region: string, accountId: string, identifier: string): string {
  return identifier.startsWith("arn:") ? identifier : accountResourceArn({ region, accountId, type: "guardrail", id: identifier });
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
  /** The caller's account and the knowledge base id from the path, for knowledge-base operations. */
  accountId?: string;
  knowledgeBaseId?: string;
  /** The guardrail id or ARN from the path or body, for guardrail operations. */
  guardrail?: string;
  /** For the OpenAI chat route: the body asked for a stream. */
  stream?: boolean;
}

/** How one operation is authorized. */
export interface OperationAuthorization {
  surface: "bedrock-runtime" | "bedrock" | "bedrock-agent" | "bedrock-agent-runtime" | "openai";
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** The route as registered with the router. */
  path: string;
  action: (typeof BEDROCK_ACTIONS)[number];
  /** The action when the request streams, where one route serves both. */
  streamAction?: (typeof BEDROCK_ACTIONS)[number];
  /**
   * `model`: the foundation-model ARN of the named model; `knowledge-base`: the ARN of the
   * knowledge base the path names, in the caller's account (data-source, ingestion-job and
   * document actions are authorized on it too, as on AWS); `guardrail`: the ARN of the guardrail
   * the path names (an id in the caller's account, or an ARN); `*`: no resource-level scoping.
   */
  resource: "model" | "knowledge-base" | "guardrail" | "*";
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
  GetMetrics: { surface: "bedrock", method: "GET", path: "/metrics", action: "cloudwatch:GetMetricData", resource: "*" },
  GetModelInvocationLoggingConfiguration: { surface: "bedrock", method: "GET", path: "/logging/modelinvocations", action: "bedrock:GetModelInvocationLoggingConfiguration", resource: "*" },
  PutModelInvocationLoggingConfiguration: { surface: "bedrock", method: "PUT", path: "/logging/modelinvocations", action: "bedrock:PutModelInvocationLoggingConfiguration", resource: "*" },
  DeleteModelInvocationLoggingConfiguration: { surface: "bedrock", method: "DELETE", path: "/logging/modelinvocations", action: "bedrock:DeleteModelInvocationLoggingConfiguration", resource: "*" },
  CreateKnowledgeBase: { surface: "bedrock-agent", method: "PUT", path: "/knowledgebases/", action: "bedrock:CreateKnowledgeBase", resource: "*" },
  ListKnowledgeBases: { surface: "bedrock-agent", method: "POST", path: "/knowledgebases/", action: "bedrock:ListKnowledgeBases", resource: "*" },
  GetKnowledgeBase: { surface: "bedrock-agent", method: "GET", path: "/knowledgebases/:knowledgeBaseId", action: "bedrock:GetKnowledgeBase", resource: "knowledge-base" },
  UpdateKnowledgeBase: { surface: "bedrock-agent", method: "PUT", path: "/knowledgebases/:knowledgeBaseId", action: "bedrock:UpdateKnowledgeBase", resource: "knowledge-base" },
  DeleteKnowledgeBase: { surface: "bedrock-agent", method: "DELETE", path: "/knowledgebases/:knowledgeBaseId", action: "bedrock:DeleteKnowledgeBase", resource: "knowledge-base" },
  CreateDataSource: { surface: "bedrock-agent", method: "PUT", path: "/knowledgebases/:knowledgeBaseId/datasources/", action: "bedrock:CreateDataSource", resource: "knowledge-base" },
  ListDataSources: { surface: "bedrock-agent", method: "POST", path: "/knowledgebases/:knowledgeBaseId/datasources/", action: "bedrock:ListDataSources", resource: "knowledge-base" },
  GetDataSource: { surface: "bedrock-agent", method: "GET", path: "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId", action: "bedrock:GetDataSource", resource: "knowledge-base" },
  UpdateDataSource: { surface: "bedrock-agent", method: "PUT", path: "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId", action: "bedrock:UpdateDataSource", resource: "knowledge-base" },
  DeleteDataSource: { surface: "bedrock-agent", method: "DELETE", path: "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId", action: "bedrock:DeleteDataSource", resource: "knowledge-base" },
  StartIngestionJob: { surface: "bedrock-agent", method: "PUT", path: "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId/ingestionjobs/", action: "bedrock:StartIngestionJob", resource: "knowledge-base" },
  ListIngestionJobs: { surface: "bedrock-agent", method: "POST", path: "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId/ingestionjobs/", action: "bedrock:ListIngestionJobs", resource: "knowledge-base" },
  GetIngestionJob: {
    surface: "bedrock-agent",
    method: "GET",
    path: "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId/ingestionjobs/:ingestionJobId",
    action: "bedrock:GetIngestionJob",
    resource: "knowledge-base",
  },
  StopIngestionJob: {
    surface: "bedrock-agent",
    method: "POST",
    path: "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId/ingestionjobs/:ingestionJobId/stop",
    action: "bedrock:StopIngestionJob",
    resource: "knowledge-base",
  },
  IngestKnowledgeBaseDocuments: {
    surface: "bedrock-agent",
    method: "PUT",
    path: "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId/documents",
    action: "bedrock:IngestKnowledgeBaseDocuments",
    resource: "knowledge-base",
  },
  ListKnowledgeBaseDocuments: {
    surface: "bedrock-agent",
    method: "POST",
    path: "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId/documents",
    action: "bedrock:ListKnowledgeBaseDocuments",
    resource: "knowledge-base",
  },
  GetKnowledgeBaseDocuments: {
    surface: "bedrock-agent",
    method: "POST",
    path: "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId/documents/getDocuments",
    action: "bedrock:GetKnowledgeBaseDocuments",
    resource: "knowledge-base",
  },
  DeleteKnowledgeBaseDocuments: {
    surface: "bedrock-agent",
    method: "POST",
    path: "/knowledgebases/:knowledgeBaseId/datasources/:dataSourceId/documents/deleteDocuments",
    action: "bedrock:DeleteKnowledgeBaseDocuments",
    resource: "knowledge-base",
  },
  Retrieve: { surface: "bedrock-agent-runtime", method: "POST", path: "/knowledgebases/:knowledgeBaseId/retrieve", action: "bedrock:Retrieve", resource: "knowledge-base" },
  // AWS authorizes both on bedrock:RetrieveAndGenerate with no resource-level scoping; the
  // handler authorizes Retrieve on the knowledge base the body names as well.
  RetrieveAndGenerate: { surface: "bedrock-agent-runtime", method: "POST", path: "/retrieveAndGenerate", action: "bedrock:RetrieveAndGenerate", resource: "*" },
  RetrieveAndGenerateStream: { surface: "bedrock-agent-runtime", method: "POST", path: "/retrieveAndGenerateStream", action: "bedrock:RetrieveAndGenerate", resource: "*" },
  Rerank: { surface: "bedrock-agent-runtime", method: "POST", path: "/rerank", action: "bedrock:Rerank", resource: "*" },
  CreateGuardrail: { surface: "bedrock", method: "POST", path: "/guardrails", action: "bedrock:CreateGuardrail", resource: "*" },
  ListGuardrails: { surface: "bedrock", method: "GET", path: "/guardrails", action: "bedrock:ListGuardrails", resource: "*" },
  GetGuardrail: { surface: "bedrock", method: "GET", path: "/guardrails/:guardrailIdentifier", action: "bedrock:GetGuardrail", resource: "guardrail" },
  UpdateGuardrail: { surface: "bedrock", method: "PUT", path: "/guardrails/:guardrailIdentifier", action: "bedrock:UpdateGuardrail", resource: "guardrail" },
  DeleteGuardrail: { surface: "bedrock", method: "DELETE", path: "/guardrails/:guardrailIdentifier", action: "bedrock:DeleteGuardrail", resource: "guardrail" },
  CreateGuardrailVersion: { surface: "bedrock", method: "POST", path: "/guardrails/:guardrailIdentifier", action: "bedrock:CreateGuardrailVersion", resource: "guardrail" },
  // Also checked by Converse, InvokeModel and the OpenAI route on the guardrail a request names.
  ApplyGuardrail: {
    surface: "bedrock-runtime",
    method: "POST",
    path: "/guardrail/:guardrailIdentifier/version/:guardrailVersion/apply",
    action: "bedrock:ApplyGuardrail",
    resource: "guardrail",
  },
} as const satisfies Record<string, OperationAuthorization>;

/** An operation name from {@link OPERATIONS}. */
export type OperationName = keyof typeof OPERATIONS;

/** The action and resource to evaluate for one request to `operation`. */
export function authorizationFor(operation: OperationName, input: AuthorizationInput): { action: string; resource: string } {
  const spec: OperationAuthorization = OPERATIONS[operation];
  const action = input.stream && spec.streamAction ? spec.streamAction : spec.action;
  if (spec.resource === "*") return { action, resource: "*" };
  if (spec.resource === "knowledge-base") {
    if (!input.accountId || !input.knowledgeBaseId) throw new Error(`Operation ${operation} is authorized on a knowledge base, but none was given.`);
    return { action, resource: knowledgeBaseArn(input.region, input.accountId, input.knowledgeBaseId) };
  }
  if (spec.resource === "guardrail") {
    if (!input.accountId || !input.guardrail) throw new Error(`Operation ${operation} is authorized on a guardrail, but none was given.`);
    return { action, resource: guardrailArn(input.region, input.accountId, input.guardrail) };
  }
  if (!input.model) throw new Error(`Operation ${operation} is authorized on a model, but none was given.`);
  return { action, resource: modelResourceArn(input.region, input.model) };
}
