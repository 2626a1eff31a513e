/** IAM policy documents as JSON strings; Terraform tokens inside (ARNs of resources) resolve at synth. */
export interface PolicyStatement {
  Sid?: string;
  Effect: "Allow";
  Action: string | string[];
  Resource?: string | string[];
  Principal?: { Service: string };
  Condition?: Record<string, Record<string, string | string[]>>;
}

export function policyDocument(statements: PolicyStatement[]): string {
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

/** Trust policy letting an AWS service (rds.amazonaws.com, ecs-tasks.amazonaws.com) assume the role. */
export function trustPolicy(service: string): string {
  return policyDocument([{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }]);
}

/** Read exactly these secrets, nothing else. */
export function readSecretsStatement(secretArns: string[]): PolicyStatement {
  return {
    Sid: "ReadDatabaseSecrets",
    Effect: "Allow",
    Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
    Resource: secretArns,
  };
}

/** Decrypt with a customer managed key, but only when Secrets Manager asks on the role's behalf. */
export function decryptSecretsStatement(kmsKeyArn: string, region: string): PolicyStatement {
  return {
    Sid: "DecryptDatabaseSecrets",
    Effect: "Allow",
    Action: "kms:Decrypt",
    Resource: kmsKeyArn,
    Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${region}.amazonaws.com` } },
  };
}
