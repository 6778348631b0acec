import * as pulumi from "@pulumi/pulumi";

export interface PropagationDelayArgs {
  /** What the wait is for; a new value (a new role assignment) waits again. */
  trigger: pulumi.Input<string>;
  /** Seconds to wait on create, bounded by the config (0–900). */
  seconds: number;
}

interface DelayInputs {
  trigger: string;
  seconds: number;
}

/**
 * Azure RBAC takes up to several minutes to honour a new role assignment on the data plane. This
 * waits a bounded time after the assignment is created, and only then (a first run, or a new
 * assignment); later runs see no change and do not wait.
 */
const delayProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: DelayInputs) {
    await new Promise((resolve) => setTimeout(resolve, inputs.seconds * 1000));
    return { id: `role-propagation-${inputs.trigger.split("/").pop()}`, outs: inputs };
  },
  async diff(_id: string, olds: DelayInputs, news: DelayInputs) {
    return { changes: olds.trigger !== news.trigger, replaces: olds.trigger !== news.trigger ? ["trigger"] : [] };
  },
};

export class PropagationDelay extends pulumi.dynamic.Resource {
  declare readonly trigger: pulumi.Output<string>;
  declare readonly seconds: pulumi.Output<number>;

  constructor(name: string, args: PropagationDelayArgs, opts?: pulumi.CustomResourceOptions) {
    super(delayProvider, name, { trigger: args.trigger, seconds: args.seconds }, opts, "azure", "PropagationDelay");
  }
}
