import type { Recommendation } from "../../recommendation/recommendation.js";

/**
 * The recommendation as Terraform for the AWS provider (aws_db_proxy and its default target group). Values that only
 * the deployment knows (network, IAM role, secret) are left as variables to fill in.
 */
export function terraformSnippet(recommendation: Recommendation): string {
  const pool = recommendation.connection_pool_config;
  const engine = recommendation.engine_family.toLowerCase();
  const poolLines = [
    `    max_connections_percent      = ${pool.max_connections_percent}`,
    `    max_idle_connections_percent = ${pool.max_idle_connections_percent}`,
    `    connection_borrow_timeout    = ${pool.connection_borrow_timeout}`,
    ...(pool.init_query ? [`    init_query                   = ${hclString(pool.init_query)}`] : []),
    `    session_pinning_filters      = [${pool.session_pinning_filters.map(hclString).join(", ")}]`,
  ];
  const target = recommendation.target.aurora
    ? "  db_cluster_identifier  = var.db_cluster_identifier"
    : "  db_instance_identifier = var.db_instance_identifier";
  return `resource "aws_db_proxy" "${engine}" {
  name                   = var.proxy_name
  engine_family          = "${recommendation.engine_family}"
  idle_client_timeout    = ${recommendation.idle_client_timeout}
  require_tls            = ${recommendation.require_tls}
  role_arn               = var.proxy_role_arn
  vpc_subnet_ids         = var.subnet_ids
  vpc_security_group_ids = var.security_group_ids

  auth {
    auth_scheme               = "SECRETS"
    client_password_auth_type = "${recommendation.client_password_auth_type}"
    iam_auth                  = "DISABLED"
    secret_arn                = var.db_secret_arn
  }
}

resource "aws_db_proxy_default_target_group" "${engine}" {
  db_proxy_name = aws_db_proxy.${engine}.name

  connection_pool_config {
${poolLines.join("\n")}
  }
}

resource "aws_db_proxy_target" "${engine}" {
  db_proxy_name          = aws_db_proxy.${engine}.name
  target_group_name      = aws_db_proxy_default_target_group.${engine}.name
${target}
}
`;
}

/** HCL strings are JSON strings, except that "${" and "%{" start templates and must be escaped. */
function hclString(text: string): string {
  return JSON.stringify(text).replaceAll("${", () => "$${").replaceAll("%{", () => "%%{");
}
