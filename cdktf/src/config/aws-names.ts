/** Shapes of AWS identifiers, with the wording used when one does not fit. */
export interface NamePattern {
  pattern: RegExp;
  hint: string;
}

const PARTITION = "aws(?:-cn|-us-gov)?";

export const AWS_NAMES = {
  region: { pattern: /^[a-z]{2}(?:-[a-z]+)+-\d$/, hint: "an AWS region such as us-east-1" },
  vpcId: { pattern: /^vpc-[0-9a-f]{8,17}$/, hint: "a VPC id (vpc-...)" },
  subnetId: { pattern: /^subnet-[0-9a-f]{8,17}$/, hint: "a subnet id (subnet-...)" },
  securityGroupId: { pattern: /^sg-[0-9a-f]{8,17}$/, hint: "a security group id (sg-...)" },
  /** RDS identifiers: a letter, then letters, digits and single hyphens, at most 63 characters. */
  rdsIdentifier: { pattern: /^(?=.{1,63}$)[a-zA-Z](?:-?[a-zA-Z0-9])*$/, hint: "an RDS identifier (a letter, then letters, digits, single hyphens; at most 63)" },
  /** A proxy name leaves room for the "-ro" suffix of its read-only endpoint. */
  proxyName: { pattern: /^(?=.{1,60}$)[a-zA-Z](?:-?[a-zA-Z0-9])*$/, hint: "a proxy name (a letter, then letters, digits, single hyphens; at most 60)" },
  /** Load balancer and target group names allow 32 characters; the longest suffix added is "-tg". */
  trialName: { pattern: /^(?=.{1,28}$)[a-zA-Z](?:-?[a-zA-Z0-9])*$/, hint: "a name of letters, digits and single hyphens, starting with a letter, at most 28 characters" },
  stackName: { pattern: /^[A-Za-z][A-Za-z0-9_-]{0,62}$/, hint: "a stack name (letters, digits, - and _)" },
  iamRoleName: { pattern: /^[\w+=,.@-]{1,64}$/, hint: "an IAM role name (not an ARN)" },
  databaseUser: { pattern: /^[^\s/*]{1,63}$/, hint: "a database user name (no spaces, / or *)" },
  hostname: { pattern: /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/, hint: "a host name" },
  image: { pattern: /^[^\s]+$/, hint: "a container image reference (registry/repository:tag or @sha256:...)" },
  secretArn: {
    pattern: new RegExp(`^arn:${PARTITION}:secretsmanager:[a-z0-9-]+:\\d{12}:secret:[A-Za-z0-9/_+=.@-]+$`),
    hint: "a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)",
  },
  kmsKeyArn: {
    pattern: new RegExp(`^arn:${PARTITION}:kms:[a-z0-9-]+:\\d{12}:key/[A-Za-z0-9-]+$`),
    hint: "a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID; IAM policies cannot name an alias)",
  },
  snsTopicArn: {
    pattern: new RegExp(`^arn:${PARTITION}:sns:[a-z0-9-]+:\\d{12}:[A-Za-z0-9_-]{1,256}(?:\\.fifo)?$`),
    hint: "an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)",
  },
  s3Bucket: { pattern: /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, hint: "an S3 bucket name" },
  dynamodbTable: { pattern: /^[A-Za-z0-9_.-]{3,255}$/, hint: "a DynamoDB table name" },
} satisfies Record<string, NamePattern>;

/** The region an ARN names (its fourth field), or undefined for a malformed ARN. */
export function arnRegion(arn: string): string | undefined {
  return arn.split(":")[3] || undefined;
}
