import type { TerraformModuleWriter } from "@proxyfit/assessor/server";
import { parseDeployConfig } from "../config/deploy-config.js";
import { DeployConfigError } from "../config/field-reader.js";
import { moduleArchive } from "./module-archive.js";
import { terraformModules } from "./terraform-module.js";

/**
 * The assessor API's Terraform route (`proxyfit serve` hands it to the server): the modules of a stored
 * recommendation and the deployment inputs of the request, as a tar.gz, or every problem in the inputs.
 */
export const writeTerraformModules: TerraformModuleWriter = (request) => {
  try {
    const config = parseDeployConfig(request.inputs, {
      file: request.inputsName,
      env: {},
      recommendation: { document: request.recommendation, name: request.recommendationName },
    });
    const modules = terraformModules(config);
    const files = modules.flatMap((module) => Object.keys(module.files).map((file) => `${module.name}/${file}`));
    return { ok: true, archive: moduleArchive(modules), files };
  } catch (error) {
    if (!(error instanceof DeployConfigError)) throw error;
    return { ok: false, problems: error.problems.map(({ file, field, message }) => ({ field: file === request.inputsName ? field : `${file}: ${field}`, message })) };
  }
};
