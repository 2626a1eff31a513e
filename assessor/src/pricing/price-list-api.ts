import {
  type Filter,
  GetProductsCommand,
  type GetProductsCommandOutput,
  PricingClient,
  type PricingClientConfig,
} from "@aws-sdk/client-pricing";
import {
  engineName,
  type PriceItem,
  PriceNotFoundError,
  type PriceQuote,
  type PriceSource,
  type PriceSourceInfo,
} from "./price-source.js";
import { pricingRegion } from "./regions.js";

/**
 * Live prices from the AWS Price List Query API (GetProducts, JSON 1.1 over HTTPS). The API itself only runs in a
 * few regions (us-east-1, eu-central-1, ap-south-1); what region the prices are for is a filter (`location`).
 */
export interface PriceListApiOptions {
  /** Where the API lives, e.g. a local test server. Default: the SDK's endpoint for `apiRegion`. */
  endpoint?: string;
  /** Region of the API endpoint, not of the prices. Default us-east-1. */
  apiRegion?: string;
  /** Default: the SDK's default credential chain (environment, shared config / SSO, container or instance role). */
  credentials?: PricingClientConfig["credentials"];
  /** SDK attempts per request, retries included. Default 3 (the SDK's). */
  maxAttempts?: number;
  /** Clock for `asOf`. */
  now?: () => Date;
}

/** The parts of one PriceList entry (a JSON string in the response) that proxyfit reads. */
interface PriceListProduct {
  product?: { sku?: string; productFamily?: string; attributes?: Record<string, string> };
  terms?: {
    OnDemand?: Record<
      string,
      {
        effectiveDate?: string;
        priceDimensions?: Record<string, { unit?: string; pricePerUnit?: Record<string, string>; description?: string }>;
      }
    >;
  };
  publicationDate?: string;
}

interface ProductQuery {
  serviceCode: "AmazonRDS" | "AmazonEC2";
  filters: Record<string, string>;
  /** Drop products that match the filters but are not the plain on-demand item (e.g. Aurora I/O-Optimized). */
  accept?: (attributes: Record<string, string>) => boolean;
}

export class PriceListApiError extends Error {
  constructor(
    message: string,
    readonly awsErrorName?: string,
  ) {
    super(message);
    this.name = "PriceListApiError";
  }
}

export class PriceListApiSource implements PriceSource {
  private readonly client: PricingClient;
  private readonly asOf: string;
  private readonly cache = new Map<string, Promise<PriceListProduct[]>>();

  constructor(private readonly options: PriceListApiOptions = {}) {
    // The SDK warns on stderr, at its first client, that later SDK versions need a newer Node: nothing a proxyfit user
    // can act on. Its documented switch (aws/aws-sdk-js-v3#7983), unless the user chose otherwise.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
    this.client = new PricingClient({
      region: options.apiRegion ?? "us-east-1",
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
    });
    this.asOf = (options.now ?? (() => new Date()))().toISOString();
  }

  describe(): PriceSourceInfo {
    return { kind: "price-list-api", asOf: this.asOf };
  }

  async hourlyPrice(item: PriceItem): Promise<PriceQuote> {
    const query = queryFor(item);
    const products = (await this.products(query)).filter((p) => !query.accept || query.accept(p.product?.attributes ?? {}));
    const hourly = products.flatMap((p) => onDemandHourly(p));
    if (hourly.length === 0) {
      throw new PriceNotFoundError(
        item,
        `the Price List API returned ${products.length} matching product(s) but no on-demand hourly USD price (${describeQuery(query)})`,
      );
    }
    // Several SKUs can match (e.g. one per engine for the proxy); they carry the same list price, the lowest is shown.
    const best = hourly.reduce((a, b) => (b.usdPerHour < a.usdPerHour ? b : a));
    return {
      usdPerHour: best.usdPerHour,
      source: `AWS Price List API ${query.serviceCode} SKU ${best.sku}${best.effectiveDate ? `, effective ${best.effectiveDate}` : ""}`,
    };
  }

  private products(query: ProductQuery): Promise<PriceListProduct[]> {
    const key = `${query.serviceCode} ${describeQuery(query)}`;
    let pending = this.cache.get(key);
    if (!pending) {
      pending = this.fetchAllPages(query);
      // A failed query is not cached: the next call asks again.
      pending.catch(() => this.cache.delete(key));
      this.cache.set(key, pending);
    }
    return pending;
  }

  private async fetchAllPages(query: ProductQuery): Promise<PriceListProduct[]> {
    const filters: Filter[] = Object.entries(query.filters).map(([Field, Value]) => ({ Type: "TERM_MATCH", Field, Value }));
    const products: PriceListProduct[] = [];
    const seenTokens = new Set<string>();
    let nextToken: string | undefined;
    let page = 0;
    do {
      page += 1;
      let response: GetProductsCommandOutput;
      try {
        response = await this.client.send(
          new GetProductsCommand({
            ServiceCode: query.serviceCode,
            Filters: filters,
            FormatVersion: "aws_v1",
            MaxResults: 100,
            ...(nextToken ? { NextToken: nextToken } : {}),
          }),
        );
      } catch (error) {
        throw apiError(error, query, this.options.endpoint);
      }
      const entries = Array.isArray(response.PriceList) ? (response.PriceList as unknown[]) : [];
      entries.forEach((entry, index) => {
        products.push(parseEntry(entry, `${query.serviceCode} GetProducts page ${page}, PriceList[${index}]`));
      });
      nextToken = response.NextToken || undefined;
      if (nextToken && seenTokens.has(nextToken)) {
        throw new PriceListApiError(`GetProducts returned the same NextToken twice (${describeQuery(query)}); stopping`);
      }
      if (nextToken) seenTokens.add(nextToken);
    } while (nextToken);
    return products;
  }
}

function parseEntry(entry: unknown, where: string): PriceListProduct {
  // The SDK hands each entry over as a String object (its lazy JSON string), not as a primitive string.
  if (typeof entry !== "string" && !(entry instanceof String)) {
    throw new PriceListApiError(`${where} is not a JSON string`);
  }
  try {
    return JSON.parse(String(entry)) as PriceListProduct;
  } catch (error) {
    throw new PriceListApiError(`${where} is not valid JSON: ${(error as Error).message}`);
  }
}

function onDemandHourly(product: PriceListProduct): Array<{ usdPerHour: number; sku: string; effectiveDate?: string }> {
  const found: Array<{ usdPerHour: number; sku: string; effectiveDate?: string }> = [];
  for (const term of Object.values(product.terms?.OnDemand ?? {})) {
    for (const dimension of Object.values(term.priceDimensions ?? {})) {
      const usd = Number(dimension.pricePerUnit?.USD);
      // Zero-priced dimensions are placeholders (free tier, retired SKUs), not list prices.
      if (dimension.unit?.toLowerCase().startsWith("hr") && Number.isFinite(usd) && usd > 0) {
        found.push({
          usdPerHour: usd,
          sku: product.product?.sku ?? "?",
          ...(term.effectiveDate ? { effectiveDate: term.effectiveDate } : {}),
        });
      }
    }
  }
  return found;
}

function queryFor(item: PriceItem): ProductQuery {
  const region = pricingRegion(item.region);
  switch (item.kind) {
    case "rds-proxy-vcpu":
      return { serviceCode: "AmazonRDS", filters: { location: region.location, usagetype: `${region.usagePrefix}-RDS:ProxyUsage` } };
    case "rds-proxy-acu":
      return {
        serviceCode: "AmazonRDS",
        filters: { location: region.location, usagetype: `${region.usagePrefix}-RDS:Proxy-ASv2-Usage` },
      };
    case "aurora-serverless-v2-acu":
      return {
        serviceCode: "AmazonRDS",
        filters: {
          location: region.location,
          databaseEngine: engineName(item.engine, true),
          usagetype: `${region.usagePrefix}-Aurora:ServerlessV2Usage`,
        },
      };
    case "rds-instance":
      return {
        serviceCode: "AmazonRDS",
        filters: {
          location: region.location,
          instanceType: item.instanceClass,
          databaseEngine: engineName(item.engine, item.aurora),
          deploymentOption: "Single-AZ",
        },
        accept: (attributes) => !/IOOptimized/i.test(attributes.usagetype ?? ""),
      };
    case "ec2-instance":
      return {
        serviceCode: "AmazonEC2",
        filters: {
          location: region.location,
          instanceType: item.instanceType,
          operatingSystem: "Linux",
          tenancy: "Shared",
          preInstalledSw: "NA",
          capacitystatus: "Used",
        },
      };
  }
}

function describeQuery(query: ProductQuery): string {
  return Object.entries(query.filters)
    .map(([field, value]) => `${field}=${value}`)
    .join(", ");
}

/** Turns SDK and network errors into one message that says what was asked, of whom, and what to do. */
function apiError(error: unknown, query: ProductQuery, endpoint: string | undefined): PriceListApiError {
  const e = error as { name?: string; message?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  const asked = `AWS Price List API GetProducts ${query.serviceCode} (${describeQuery(query)})${endpoint ? ` at ${endpoint}` : ""}`;
  const reason = (() => {
    switch (e.name) {
      case "InvalidParameterException":
        return `rejected the query: ${e.message}`;
      case "NotFoundException":
      case "ResourceNotFoundException":
        return `reports the service code or attribute does not exist: ${e.message}`;
      case "InvalidNextTokenException":
      case "ExpiredNextTokenException":
        return `rejected the paging token (${e.name}); run again`;
      case "ThrottlingException":
        return "throttled the request; run again later, or drop --live-pricing to use the built-in prices";
      case "InternalErrorException":
        return `had an internal error: ${e.message}`;
      case "AccessDeniedException":
      case "UnrecognizedClientException":
      case "InvalidSignatureException":
      case "ExpiredTokenException":
        return `refused the credentials (${e.name}): the caller needs pricing:GetProducts permission and valid AWS credentials`;
      case "CredentialsProviderError":
        return "could not be called: the default credential chain found no AWS credentials (environment, shared config or SSO, instance role); drop --live-pricing to use the built-in prices";
      default:
        break;
    }
    const code = e.code ?? (error as { cause?: { code?: string } }).cause?.code;
    if (code === "ECONNREFUSED" || code === "ENOTFOUND" || code === "ETIMEDOUT" || code === "ECONNRESET" || e.name === "TimeoutError") {
      return `could not be reached (${code ?? e.name}): ${e.message}`;
    }
    const status = e.$metadata?.httpStatusCode;
    return `failed${status ? ` with HTTP ${status}` : ""}: ${e.name ?? "Error"}: ${e.message ?? String(error)}`;
  })();
  return new PriceListApiError(`${asked} ${reason}`, e.name);
}

