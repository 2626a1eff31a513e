/**
 * A local server speaking the AWS Price List Query API wire protocol: POST /, JSON 1.1
 * (Content-Type application/x-amz-json-1.1, X-Amz-Target AWSPriceListService.<Operation>), GetProducts with
 * TERM_MATCH filters, PriceList as an array of JSON strings, NextToken paging and `__type` error bodies.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { FixtureProduct } from "./price-list-fixtures.js";

export interface RecordedRequest {
  target: string | undefined;
  contentType: string | undefined;
  authorization: string | undefined;
  body: {
    ServiceCode?: string;
    Filters?: Array<{ Type: string; Field: string; Value: string }>;
    FormatVersion?: string;
    NextToken?: string;
    MaxResults?: number;
  };
}

export interface InjectedError {
  status: number;
  type: string;
  message: string;
}

export class PriceListServer {
  readonly requests: RecordedRequest[] = [];
  /** Products per page; small values force NextToken paging. */
  pageSize = 100;
  /** Errors returned, in order, by the next GetProducts calls. */
  readonly errors: InjectedError[] = [];
  /** Errors returned by the n-th request (1-based, counted from the last reset of `requests`). */
  readonly errorsOnRequest = new Map<number, InjectedError>();
  /** Replace the next response's PriceList with this raw array (malformed entries). */
  rawPriceList?: unknown[];
  private server?: Server;

  constructor(private readonly products: FixtureProduct[]) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.handle(req).then(({ status, body }) => {
        res.writeHead(status, {
          "Content-Type": "application/x-amz-json-1.1",
          "x-amzn-RequestId": `req-${this.requests.length}`,
        });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private async handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const target = req.headers["x-amz-target"] as string | undefined;
    let body: RecordedRequest["body"] = {};
    try {
      body = text ? JSON.parse(text) : {};
    } catch {
      return { status: 400, body: { __type: "SerializationException", Message: "request body is not JSON" } };
    }
    this.requests.push({
      target,
      contentType: req.headers["content-type"],
      authorization: req.headers.authorization,
      body,
    });
    if (req.method !== "POST") return { status: 405, body: { __type: "UnknownOperationException" } };
    if (target !== "AWSPriceListService.GetProducts") {
      return { status: 400, body: { __type: "UnknownOperationException", Message: `unknown operation ${target}` } };
    }
    const injected = this.errorsOnRequest.get(this.requests.length) ?? this.errors.shift();
    if (injected) return { status: injected.status, body: { __type: injected.type, Message: injected.message } };
    if (!body.ServiceCode) {
      return { status: 400, body: { __type: "InvalidParameterException", Message: "ServiceCode is required" } };
    }
    const matching = this.products.filter(
      (p) =>
        p.serviceCode === body.ServiceCode &&
        (body.Filters ?? []).every((f) => (p.attributes[f.Field] ?? "").toLowerCase() === f.Value.toLowerCase()),
    );
    const start = body.NextToken ? Number(Buffer.from(body.NextToken, "base64").toString("utf8").split(":")[1]) : 0;
    if (!Number.isInteger(start) || start < 0) {
      return { status: 400, body: { __type: "InvalidNextTokenException", Message: "The NextToken is invalid" } };
    }
    const page = matching.slice(start, start + this.pageSize);
    const end = start + page.length;
    const raw = this.rawPriceList;
    this.rawPriceList = undefined;
    return {
      status: 200,
      body: {
        FormatVersion: "aws_v1",
        PriceList: raw ?? page.map((p) => JSON.stringify(p.json)),
        ...(end < matching.length ? { NextToken: Buffer.from(`offset:${end}`).toString("base64") } : {}),
      },
    };
  }
}
