/**
 * Which releases of the Terraform AWS provider (hashicorp/aws) the generated configuration accepts. The stacks use
 * only arguments that 5.x and 6.x share, except those below, which they set only when the inputs ask for them.
 */
export const AWS_PROVIDER_FLOOR = "5.0.0";
/** 7.0 may remove or rename arguments, as every major release has. */
export const AWS_PROVIDER_CEILING = "7.0.0";

/** Arguments newer than the floor, with the release that introduced each (the provider's CHANGELOG.md). */
export const AWS_PROVIDER_ARGUMENTS = {
  /** End-to-end IAM authentication; 6.15.0 also made the `auth` block optional. */
  "aws_db_proxy.default_auth_scheme": "6.15.0",
  "aws_db_proxy.endpoint_network_type": "6.28.0",
  "aws_db_proxy.target_connection_network_type": "6.28.0",
} as const;

export type AwsProviderArgument = keyof typeof AWS_PROVIDER_ARGUMENTS;

/** `>= FLOOR, < CEILING`, the floor raised to the newest release among the arguments used. */
export function awsProviderConstraint(usedArguments: readonly AwsProviderArgument[]): string {
  const minimum = usedArguments.map((argument) => AWS_PROVIDER_ARGUMENTS[argument]).reduce(newerVersion, AWS_PROVIDER_FLOOR);
  return `>= ${minimum}, < ${AWS_PROVIDER_CEILING}`;
}

function newerVersion(a: string, b: string): string {
  const [pa, pb] = [a, b].map((version) => version.split(".").map(Number)) as [number[], number[]];
  for (let i = 0; i < 3; i++) {
    if (pa[i] !== pb[i]) return (pa[i] ?? 0) > (pb[i] ?? 0) ? a : b;
  }
  return a;
}
