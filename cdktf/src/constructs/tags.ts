import { type IAspect, TerraformResource } from "cdktf";
import type { IConstruct } from "constructs";

type TaggableConstruct = IConstruct & { tags?: Record<string, string>; tagsInput?: Record<string, string> };

/** Resources only: on a data source `tags` is a lookup filter, and setting it would change what is found. */
function isTaggable(node: IConstruct): node is TaggableConstruct {
  return node instanceof TerraformResource && "tags" in node && "tagsInput" in node;
}

/** The tag every resource proxyfit creates carries, so `aws resourcegroupstaggingapi` finds them all. */
export const MANAGED_BY_TAG = { "managed-by": "proxyfit" } as const;

/**
 * Puts the given tags on every taggable resource under the scope it is added to; a resource's own tags win.
 * An aspect rather than the provider's default_tags, so the constructs tag their resources in any stack.
 */
export class TagResources implements IAspect {
  constructor(private readonly tags: Record<string, string>) {}

  visit(node: IConstruct): void {
    if (isTaggable(node)) node.tags = { ...MANAGED_BY_TAG, ...this.tags, ...(node.tagsInput ?? {}) };
  }
}
