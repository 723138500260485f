// Recorded AWS answers for decisions moto cannot provoke (a fleet's launch errors, a refused
// DryRun, a quota): an SDK request handler that answers each request from a table, so the
// client's own deserializers read AWS's wire format exactly as they would from AWS.

import { Readable } from "node:stream";

/** The part of the SDK's HTTP request a recorded answer is chosen by. */
export interface HttpRequest {
  readonly method: string;
  readonly path: string;
  readonly hostname?: string;
  readonly headers: Record<string, string>;
  readonly body?: unknown;
}

export interface RecordedAnswer {
  readonly status?: number;
  readonly body: string;
  readonly headers?: Record<string, string>;
}

/** The query action (EC2: Action=...), JSON target (X-Amz-Target) or S3 method + path of a request. */
export function operationOf(request: HttpRequest): string {
  const target = request.headers["x-amz-target"];
  if (target) return target.split(".").pop() ?? target;
  const body = typeof request.body === "string" ? request.body : "";
  const action = new URLSearchParams(body).get("Action");
  return action ?? `${request.method} ${request.path}`;
}

/** A request handler for an SDK client: `answer` maps each request to a recorded answer. */
export function recordedHandler(answer: (operation: string, request: HttpRequest) => RecordedAnswer) {
  const asked: string[] = [];
  return {
    asked,
    handler: {
      async handle(request: HttpRequest) {
        const operation = operationOf(request);
        asked.push(operation);
        const { status = 200, body, headers = {} } = answer(operation, request);
        // The SDK reads a response by its shape (statusCode, headers, body stream).
        return {
          response: {
            statusCode: status,
            headers: { "content-type": "text/xml", ...headers },
            body: Readable.from([Buffer.from(body)]),
          },
        };
      },
      updateHttpClientConfig() {},
      httpHandlerConfigs: () => ({}),
    },
  };
}

/** EC2's error answer (query protocol), e.g. DryRunOperation or UnauthorizedOperation. */
export const ec2Error = (code: string, message: string): RecordedAnswer => ({
  status: code === "DryRunOperation" ? 412 : 403,
  body: `<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>${code}</Code><Message>${message}</Message></Error></Errors><RequestID>r-1</RequestID></Response>`,
});
