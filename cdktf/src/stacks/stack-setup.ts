import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import { LocalBackend, S3Backend, type TerraformStack } from "cdktf";
import type { DeployConfig } from "../config/deploy-config.js";
import { type AwsProviderArgument, awsProviderConstraint } from "./aws-provider.js";

/**
 * The AWS provider and the state backend: S3 when the inputs name a bucket, otherwise a local file beside the output
 * directory (`cdktf/terraform.<stack>.tfstate` for the default `cdktf.out`), written as a path relative to the stack's
 * directory `<output>/stacks/<stack>` so that no synthesized file holds a path of the machine that synthesized it.
 */
export function setUpStack(stack: TerraformStack, stackName: string, config: DeployConfig): void {
  new AwsProvider(stack, "aws", { region: config.region });
  const backend = config.stateBackend;
  if (backend) {
    new S3Backend(stack, {
      bucket: backend.bucket,
      key: `${backend.keyPrefix}/${stackName}.tfstate`,
      region: backend.region,
      encrypt: true,
      ...(backend.dynamodbTable ? { dynamodbTable: backend.dynamodbTable } : {}),
    });
  } else {
    new LocalBackend(stack, { path: `../../../terraform.${stackName}.tfstate` });
  }
}

/**
 * The provider requirement of a stack, replacing the bindings' exact pin: any 5.x or 6.x release, raised to the release
 * that introduced an argument the stack sets (see AWS_PROVIDER_ARGUMENTS). The source is the full address, which
 * CDK Terrain's bindings write and cdktf's shorten to "aws", so that both flavours synthesize the same requirement.
 */
export function constrainAwsProvider(stack: TerraformStack, usedArguments: readonly AwsProviderArgument[]): void {
  stack.addOverride("terraform.required_providers.aws.source", "hashicorp/aws");
  stack.addOverride("terraform.required_providers.aws.version", awsProviderConstraint(usedArguments));
}
