import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PriceListApiError, PriceListApiSource, type PriceListApiOptions } from "../../src/pricing/index.js";
import { auroraServerlessV2, ec2Instance, type FixtureProduct, rdsInstance, rdsProxy } from "./price-list-fixtures.js";
import { PriceListServer } from "./price-list-server.js";
import { EXPECTED_PRICES, priceSourceConformance } from "./price-source-conformance.js";

const ENGINE = { postgresql: "PostgreSQL", mysql: "MySQL" } as const;

/** The expected items as products, plus distractors the source must not pick. */
function catalogue(): FixtureProduct[] {
  const products: FixtureProduct[] = [];
  for (const { item, usdPerHour } of EXPECTED_PRICES) {
    switch (item.kind) {
      case "rds-proxy-vcpu":
      case "rds-proxy-acu":
        // The proxy has one SKU per engine, same price.
        for (const databaseEngine of ["PostgreSQL", "MySQL"] as const) {
          products.push(rdsProxy({ region: item.region, acu: item.kind === "rds-proxy-acu", databaseEngine, usdPerHour }));
        }
        break;
      case "aurora-serverless-v2-acu":
        products.push(auroraServerlessV2({ region: item.region, databaseEngine: `Aurora ${ENGINE[item.engine]}`, usdPerHour }));
        break;
      case "rds-instance": {
        const databaseEngine = item.aurora ? (`Aurora ${ENGINE[item.engine]}` as const) : ENGINE[item.engine];
        products.push(rdsInstance({ region: item.region, instanceType: item.instanceClass, databaseEngine, usdPerHour, vcpu: 2, memoryGiB: 16 }));
        if (item.aurora) {
          // Aurora I/O-Optimized instances cost more and match the same filters.
          products.push(
            rdsInstance({ region: item.region, instanceType: item.instanceClass, databaseEngine, usdPerHour: usdPerHour * 1.3, vcpu: 2, memoryGiB: 16, ioOptimized: true }),
          );
        }
        break;
      }
      case "ec2-instance":
        products.push(ec2Instance({ region: item.region, instanceType: item.instanceType, usdPerHour, vcpu: 2 }));
        products.push(ec2Instance({ region: item.region, instanceType: item.instanceType, usdPerHour, vcpu: 2, capacitystatus: "UnusedCapacityReservation" }));
        break;
    }
  }
  products.push(rdsInstance({ region: "us-east-2", instanceType: "db.r6g.large", databaseEngine: "PostgreSQL", usdPerHour: 9.99, vcpu: 2, memoryGiB: 16 }));
  return products;
}

const server = new PriceListServer(catalogue());
let endpoint = "";
const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const source = (extra: PriceListApiOptions = {}) => new PriceListApiSource({ endpoint, credentials, maxAttempts: 1, ...extra });

beforeAll(async () => {
  endpoint = await server.start();
});
afterAll(() => server.stop());
beforeEach(() => {
  server.pageSize = 100;
  server.errors.length = 0;
  server.errorsOnRequest.clear();
  server.requests.length = 0;
});

priceSourceConformance("AWS Price List API (local server)", () => source());

describe("Price List API source", () => {
  it("sends GetProducts as signed JSON 1.1 with TERM_MATCH filters for the region's location", async () => {
    await source().hourlyPrice({ kind: "rds-instance", region: "us-east-1", engine: "postgresql", instanceClass: "db.r6g.large", aurora: false });
    const request = server.requests[0]!;
    expect(request.target).toBe("AWSPriceListService.GetProducts");
    expect(request.contentType).toBe("application/x-amz-json-1.1");
    expect(request.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/pricing\/aws4_request/);
    expect(request.body).toMatchObject({ ServiceCode: "AmazonRDS", FormatVersion: "aws_v1" });
    expect(request.body.Filters).toEqual(
      expect.arrayContaining([
        { Type: "TERM_MATCH", Field: "location", Value: "US East (N. Virginia)" },
        { Type: "TERM_MATCH", Field: "instanceType", Value: "db.r6g.large" },
        { Type: "TERM_MATCH", Field: "databaseEngine", Value: "PostgreSQL" },
        { Type: "TERM_MATCH", Field: "deploymentOption", Value: "Single-AZ" },
      ]),
    );
  });

  it("asks for the proxy by the region-prefixed usage type", async () => {
    await source().hourlyPrice({ kind: "rds-proxy-vcpu", region: "eu-west-2" });
    expect(server.requests[0]!.body.Filters).toEqual(
      expect.arrayContaining([
        { Type: "TERM_MATCH", Field: "usagetype", Value: "EUW2-RDS:ProxyUsage" },
        { Type: "TERM_MATCH", Field: "location", Value: "EU (London)" },
      ]),
    );
  });

  it("follows NextToken through every page and ignores I/O-Optimized and reserved prices", async () => {
    server.pageSize = 1;
    const quote = await source().hourlyPrice({ kind: "rds-instance", region: "us-east-1", engine: "postgresql", instanceClass: "db.r6g.large", aurora: true });
    expect(quote.usdPerHour).toBeCloseTo(0.26, 6);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[0]!.body.NextToken).toBeUndefined();
    expect(server.requests[1]!.body.NextToken).toEqual(expect.any(String));
    expect(quote.source).toMatch(/AWS Price List API AmazonRDS SKU FX\d+PRXYFT, effective 2026-11-01T00:00:00Z/);
  });

  it("asks once per distinct query", async () => {
    const s = source();
    const item = { kind: "ec2-instance", region: "us-east-1", instanceType: "c6g.large" } as const;
    await s.hourlyPrice(item);
    await s.hourlyPrice(item);
    expect(server.requests).toHaveLength(1);
  });

  it("reports the query's time as asOf", () => {
    expect(source({ now: () => new Date("2026-11-24T10:00:00Z") }).describe()).toEqual({
      kind: "price-list-api",
      asOf: "2026-11-24T10:00:00.000Z",
    });
  });

  it.each([
    [400, "InvalidParameterException", "Input validation failed", /rejected the query: Input validation failed/],
    [400, "com.amazonaws.awspricinglistservice#ThrottlingException", "Rate exceeded", /throttled the request; run again later/],
    [500, "InternalErrorException", "An internal error occurred", /internal error: An internal error occurred/],
    [400, "NotFoundException", "Service code AmazonRDZ not found", /does not exist: Service code AmazonRDZ not found/],
    [403, "AccessDeniedException", "User is not authorized to perform: pricing:GetProducts", /pricing:GetProducts permission/],
    [400, "ExpiredNextTokenException", "The token has expired", /paging token \(ExpiredNextTokenException\); run again/],
  ])("maps HTTP %i %s to a clear message", async (status, type, message, expected) => {
    server.errors.push({ status, type, message });
    const failure = source().hourlyPrice({ kind: "rds-proxy-vcpu", region: "us-east-1" });
    await expect(failure).rejects.toThrow(PriceListApiError);
    await expect(source().hourlyPrice({ kind: "rds-proxy-vcpu", region: "us-east-1" })).resolves.toBeDefined();
    const error = (await failure.catch((e: Error) => e)) as Error;
    expect(error.message).toMatch(expected);
    expect(error.message).toMatch(/GetProducts AmazonRDS \(location=US East \(N\. Virginia\), usagetype=USE1-RDS:ProxyUsage\)/);
  });

  it("fails on an error on a later page, then asks again from the start", async () => {
    server.pageSize = 1;
    server.errorsOnRequest.set(2, { status: 500, type: "InternalErrorException", message: "page 2 failed" });
    const s = source();
    const item = { kind: "rds-instance", region: "us-east-1", engine: "postgresql", instanceClass: "db.r6g.large", aurora: true } as const;
    await expect(s.hourlyPrice(item)).rejects.toThrow(/page 2 failed/);
    server.errorsOnRequest.clear();
    await expect(s.hourlyPrice(item)).resolves.toMatchObject({ usdPerHour: 0.26 });
    expect(server.requests[2]!.body.NextToken).toBeUndefined();
  });

  it("names the page and entry of a PriceList entry that is not JSON", async () => {
    server.rawPriceList = ['{"product": {"sku": "BROKEN"'];
    await expect(source().hourlyPrice({ kind: "rds-proxy-vcpu", region: "us-east-1" })).rejects.toThrow(
      /AmazonRDS GetProducts page 1, PriceList\[0\] is not valid JSON/,
    );
  });

  it("says when nothing matched", async () => {
    await expect(
      source().hourlyPrice({ kind: "rds-instance", region: "us-east-1", engine: "mysql", instanceClass: "db.m7g.large", aurora: false }),
    ).rejects.toThrow(/returned 0 matching product\(s\) but no on-demand hourly USD price/);
  });

  it("says when the endpoint cannot be reached", async () => {
    const unreachable = new PriceListApiSource({ endpoint: "http://127.0.0.1:1", credentials, maxAttempts: 1 });
    await expect(unreachable.hourlyPrice({ kind: "rds-proxy-vcpu", region: "us-east-1" })).rejects.toThrow(
      /at http:\/\/127\.0\.0\.1:1 could not be reached \(ECONNREFUSED\)/,
    );
  });

  it("says when the credential chain finds nothing", async () => {
    const noCredentials = new PriceListApiSource({
      endpoint,
      maxAttempts: 1,
      credentials: async () => {
        throw Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" });
      },
    });
    await expect(noCredentials.hourlyPrice({ kind: "rds-proxy-vcpu", region: "us-east-1" })).rejects.toThrow(
      /default credential chain found no AWS credentials/,
    );
  });
});
