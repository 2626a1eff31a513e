/**
 * The users clients may log in as, and their secrets: from a file (PgBouncer's userlist.txt, or JSON shaped like the
 * Secrets Manager secrets RDS Proxy reads) and from Secrets Manager itself.
 */
import { readFileSync } from "node:fs";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { credentialFromSecret, type UserCredential } from "../auth/credentials.js";
import { ConfigError } from "./load.js";

/** A Secrets Manager secret as RDS Proxy expects it: at least "username" and "password". */
function credentialFromSecretJson(value: unknown, where: string): UserCredential {
  if (typeof value !== "object" || value === null) throw new ConfigError([`${where}: expected {"username": ..., "password": ...}`]);
  const { username, password } = value as { username?: unknown; password?: unknown };
  if (typeof username !== "string" || username === "") throw new ConfigError([`${where}: "username" is missing or not a string`]);
  if (typeof password !== "string") throw new ConfigError([`${where}: "password" is missing or not a string`]);
  return credentialFromSecret(username, password);
}

const USERLIST_LINE = /^"((?:[^"]|"")*)"\s+"((?:[^"]|"")*)"/;

export function parseUsersFile(file: string, text: string): UserCredential[] {
  const trimmed = text.trimStart();
  if (trimmed.startsWith("[") || trimmed.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ConfigError([`users_file ${file}: not valid JSON: ${(error as Error).message}`]);
    }
    if (Array.isArray(parsed)) return parsed.map((entry, i) => credentialFromSecretJson(entry, `users_file ${file}: entry ${i + 1}`));
    if ("username" in (parsed as object)) return [credentialFromSecretJson(parsed, `users_file ${file}`)];
    return Object.entries(parsed as Record<string, unknown>).map(([user, secret]) => {
      if (typeof secret !== "string") throw new ConfigError([`users_file ${file}: the secret of "${user}" is not a string`]);
      return credentialFromSecret(user, secret);
    });
  }
  const users: UserCredential[] = [];
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const content = line.trim();
    if (content === "" || content.startsWith(";") || content.startsWith("#")) return;
    const match = USERLIST_LINE.exec(content);
    if (!match) {
      problems.push(`users_file ${file}:${index + 1}: expected "user" "secret"`);
      return;
    }
    users.push(credentialFromSecret(match[1]!.replaceAll('""', '"'), match[2]!.replaceAll('""', '"')));
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return users;
}

export function readUsersFile(file: string): UserCredential[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError([`users_file ${file}: cannot read: ${(error as Error).message}`]);
  }
  return parseUsersFile(file, text);
}

export interface SecretsManagerOptions {
  arns: readonly string[];
  region: string;
  /** Undefined: the AWS endpoint for the region. */
  endpoint: string | undefined;
}

export async function fetchSecrets(options: SecretsManagerOptions): Promise<UserCredential[]> {
  const client = new SecretsManagerClient({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    maxAttempts: 2,
  });
  try {
    return await Promise.all(
      options.arns.map(async (arn) => {
        let secret: string | undefined;
        try {
          secret = (await client.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString;
        } catch (error) {
          throw new ConfigError([`secret_arns: cannot read ${arn}: ${(error as Error).message}`]);
        }
        if (secret === undefined) throw new ConfigError([`secret_arns: ${arn} has no SecretString`]);
        let parsed: unknown;
        try {
          parsed = JSON.parse(secret);
        } catch {
          throw new ConfigError([`secret_arns: ${arn} is not JSON`]);
        }
        return credentialFromSecretJson(parsed, `secret_arns: ${arn}`);
      }),
    );
  } finally {
    client.destroy();
  }
}
