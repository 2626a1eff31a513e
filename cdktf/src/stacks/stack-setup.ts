import { AwsProvider } from "@cdktf/provider-aws/lib/provider/index.js";
import { S3Backend, type TerraformStack } from "cdktf";
import type { DeployConfig } from "../config/deploy-config.js";

/** The AWS provider and, when the inputs name one, the S3 state backend; without it state stays in a local file. */
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
  }
}
