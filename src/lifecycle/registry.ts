import { infraError } from "../errors.ts";
import { type ConsulConnection, consulConnectionFromEnv, consulRequest } from "../params/consul-http.ts";
import { prefixFromEnv } from "../params/layout.ts";
import type { RunRecord } from "./run-record.ts";

/**
 * Where runs are visible beyond this machine. The run folder's run.json is always written; when
 * Consul is configured every record is also published there, so `burst list` on any machine
 * shows every team member's and CI's runs.
 */
export interface RunRegistry {
  readonly description: string;
  publish(record: RunRecord): Promise<void>;
  list(): Promise<RunRecord[]>;
}

/**
 * Records under "<parameter prefix without its slash>-runs/<run-id>" (default burst-runs/): a
 * sibling of the parameters, so `config:push --prune` never removes them and parameter
 * resolution never reads them.
 */
export class ConsulRunRegistry implements RunRegistry {
  readonly description: string;

  constructor(
    private readonly connection: ConsulConnection,
    private readonly prefix: string,
  ) {
    this.description = `consul:${prefix}`;
  }

  async publish(record: RunRecord): Promise<void> {
    const response = await consulRequest(this.connection, {
      method: "PUT",
      path: `/kv/${this.prefix}${record.runId}`,
      body: record, // consulRequest sends it as JSON: the key's value is the record itself
    });
    if (response.status !== 200) {
      throw infraError(`could not record run ${record.runId} in Consul (${this.prefix}): HTTP ${response.status}`, {
        hint: response.status === 403 ? `the token needs write on the key prefix "${this.prefix}"` : undefined,
      });
    }
  }

  async list(): Promise<RunRecord[]> {
    const response = await consulRequest(this.connection, {
      method: "GET",
      path: `/kv/${this.prefix}`,
      query: { recurse: "true" },
    });
    if (response.status === 404) return [];
    if (response.status !== 200)
      throw infraError(`could not list runs in Consul (${this.prefix}): HTTP ${response.status}`);
    const pairs = JSON.parse(response.body) as { Value: string | null }[];
    return pairs.flatMap((pair) => {
      if (!pair.Value) return [];
      try {
        return [JSON.parse(Buffer.from(pair.Value, "base64").toString("utf8")) as RunRecord];
      } catch {
        return [];
      }
    });
  }
}

/** The Consul registry when CONSUL_HTTP_ADDR is set; none otherwise (run.json files only). */
export function registryFromEnv(env: Readonly<Record<string, string | undefined>>): RunRegistry | undefined {
  if (!env.CONSUL_HTTP_ADDR) return undefined;
  const prefix = `${prefixFromEnv(env).replace(/\/$/, "")}-runs/`;
  return new ConsulRunRegistry(consulConnectionFromEnv(env), prefix);
}
