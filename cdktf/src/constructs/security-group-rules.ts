import { VpcSecurityGroupEgressRule } from "@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js";
import { VpcSecurityGroupIngressRule } from "@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js";
import type { Construct } from "constructs";

export interface TcpPeerRule {
  /** The group the rule belongs to. */
  securityGroupId: string;
  /** The group on the other side: the source of an ingress rule, the destination of an egress rule. */
  peerSecurityGroupId: string;
  port: number;
  description: string;
}

/**
 * One rule per resource (aws_vpc_security_group_*_rule), never inline rules, so rules added to groups owned elsewhere
 * (the database's, the application's) do not fight with the rules those owners manage.
 */
export function allowTcpIn(scope: Construct, id: string, rule: TcpPeerRule): VpcSecurityGroupIngressRule {
  return new VpcSecurityGroupIngressRule(scope, id, {
    securityGroupId: rule.securityGroupId,
    referencedSecurityGroupId: rule.peerSecurityGroupId,
    ipProtocol: "tcp",
    fromPort: rule.port,
    toPort: rule.port,
    description: rule.description,
  });
}

export function allowTcpOut(scope: Construct, id: string, rule: TcpPeerRule): VpcSecurityGroupEgressRule {
  return new VpcSecurityGroupEgressRule(scope, id, {
    securityGroupId: rule.securityGroupId,
    referencedSecurityGroupId: rule.peerSecurityGroupId,
    ipProtocol: "tcp",
    fromPort: rule.port,
    toPort: rule.port,
    description: rule.description,
  });
}
