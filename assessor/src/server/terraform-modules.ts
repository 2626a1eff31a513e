/**
 * How the API writes the plain Terraform modules of a stored recommendation (POST /v1/assessments/{id}/terraform).
 * The writer is @proxyfit/cdktf's, handed in by `proxyfit serve` and loaded at the first such request: that package
 * depends on this one, so the assessor never imports it, and a server nobody asks for Terraform never loads cdktf.
 */
export type TerraformModuleWriter = (request: TerraformModuleRequest) => TerraformModuleResult;

export interface TerraformModuleRequest {
  /** The assessment's recommendation document (as GET .../recommendation.json serves it). */
  recommendation: unknown;
  /** What stands for the recommendation in messages and in the modules' comments. */
  recommendationName: string;
  /** The deployment inputs (docs/deploy.md), parsed from the request body. */
  inputs: unknown;
  /** What stands for the inputs in messages and comments. */
  inputsName: string;
}

export type TerraformModuleResult =
  | { ok: true; /** A gzip-compressed tar of the modules' folders. */ archive: Uint8Array; /** Its files, as paths. */ files: string[] }
  | { ok: false; problems: Array<{ field: string; message: string }> };
