import type { Engine } from "../../events/log-event.js";
import type { ConfigDocument } from "../config-document.js";
import { canonicalKey, type Setting } from "../text/lines.js";
import type { ConnectionString } from "../text/urls.js";

/**
 * JDBC driver properties of one engine, wherever a Java project writes them: the JDBC URL's query string, and
 * DataSource properties in Spring (`spring.datasource.hikari.data-source-properties.*`) or hikari.properties
 * (`dataSource.*`). Shared by the pgjdbc and Connector/J families.
 */
export function jdbcConnections(file: ConfigDocument, engine: Engine): ConnectionString[] {
  return file.connections.filter((c) => c.scheme.startsWith("jdbc:") && c.engine === engine);
}

export function jdbcProperties(file: ConfigDocument, engine: Engine): Setting[] {
  const fromUrls = jdbcConnections(file, engine).flatMap((c) => c.params);
  const fromDataSource = file.structured.settings
    .filter((s) => /datasourceproperties\.|^datasource\./.test(canonicalKey(s.key)))
    .map((s) => ({ ...s, key: s.key.split(".").pop() ?? s.key }));
  return [...fromUrls, ...fromDataSource];
}

export function property(properties: readonly Setting[], name: string): Setting | undefined {
  const wanted = name.toLowerCase();
  for (let i = properties.length - 1; i >= 0; i--) if (properties[i]!.key.toLowerCase() === wanted) return properties[i];
  return undefined;
}
