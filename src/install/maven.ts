// Maven Central artifacts, shared by both targets: the local Spark runtime's jars (hadoop-aws and
// its AWS SDK bundle) and the repository `npm run vpc -- stage` fetches the nodes' jars from;
// versions read from the POMs (no hard-coded SDK version), every download checked against the
// repository's .sha1, artifacts cached once under <cache>/maven in the standard repository layout.

import { createHash } from "node:crypto";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { infraError } from "../errors.ts";
import { retry } from "../util/retry.ts";

export interface Coordinate {
  readonly groupId: string;
  readonly artifactId: string;
  readonly version: string;
}

export const formatCoordinate = (c: Coordinate) => `${c.groupId}:${c.artifactId}:${c.version}`;

/** BURST_MAVEN_REPO overrides Maven Central (e.g. a company mirror). */
export function mavenRepo(): string {
  return (process.env.BURST_MAVEN_REPO ?? "https://repo1.maven.org/maven2").replace(/\/+$/, "");
}

export function artifactPath(c: Coordinate, ext: string): string {
  return `${c.groupId.replaceAll(".", "/")}/${c.artifactId}/${c.version}/${c.artifactId}-${c.version}.${ext}`;
}

/** How long the first retry waits; later ones double it. Tests of the retries shorten it. */
export interface RetryWait {
  readonly firstRetryDelayMs?: number;
}

/** `fn` up to `tries` times with doubling waits (1 s, 2 s); a 4xx will not heal and fails at once. */
async function withRetries<T>(
  what: string,
  fn: () => Promise<T>,
  { firstRetryDelayMs = 1000 }: RetryWait = {},
): Promise<T> {
  const fail = (last: unknown) =>
    infraError(`could not download ${what}: ${(last as Error)?.message ?? String(last)}`, {
      hint: `check that ${mavenRepo()} is reachable (set BURST_MAVEN_REPO to use a mirror)`,
      cause: last,
    });
  const clientError = (error: unknown) => error instanceof HttpStatusError && error.status >= 400 && error.status < 500;
  try {
    return await retry(fn, {
      what: `download ${what}`,
      attempts: 3,
      firstDelayMs: firstRetryDelayMs,
      retryable: (error) => !clientError(error),
      giveUp: ({ lastError }) => fail(lastError),
    });
  } catch (error) {
    throw clientError(error) ? fail(error) : error;
  }
}

class HttpStatusError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
  ) {
    super(`GET ${url}: HTTP ${status}`);
  }
}

async function get(url: string): Promise<Response> {
  const res = await fetch(url, { signal: AbortSignal.timeout(30 * 60_000) });
  if (!res.ok) {
    await res.body?.cancel();
    throw new HttpStatusError(url, res.status);
  }
  return res;
}

export async function fetchText(url: string, wait: RetryWait = {}): Promise<string> {
  return withRetries(url, async () => (await get(url)).text(), wait);
}

/** The sha1 Maven Central publishes next to `url` (the file holds the hex digest, sometimes followed by a name). */
async function publishedSha1(url: string, wait: RetryWait): Promise<string> {
  const text = await fetchText(`${url}.sha1`, wait);
  const sha1 = text.trim().split(/\s+/)[0]?.toLowerCase() ?? "";
  if (!/^[0-9a-f]{40}$/.test(sha1))
    throw infraError(`malformed checksum at ${url}.sha1: ${JSON.stringify(text.slice(0, 80))}`);
  return sha1;
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Download `url` to `dest` (atomically: temp file + rename) and verify its published sha1. */
export async function downloadVerified(
  url: string,
  dest: string,
  log: (line: string) => void,
  wait: RetryWait = {},
): Promise<{ sha1: string; bytes: number }> {
  const expected = await publishedSha1(url, wait);
  await mkdir(dirname(dest), { recursive: true });
  const tmp = `${dest}.part-${process.pid}`;
  try {
    return await withRetries(
      url,
      async () => {
        const res = await get(url);
        const total = Number(res.headers.get("content-length") ?? 0);
        const hash = createHash("sha1");
        let bytes = 0;
        let lastReport = Date.now();
        const began = Date.now();
        const meter = new Transform({
          transform(chunk: Buffer, _enc, cb) {
            hash.update(chunk);
            bytes += chunk.length;
            if (Date.now() - lastReport > 5000) {
              lastReport = Date.now();
              log(`  ${url.split("/").pop()}: ${mib(bytes)}${total ? ` of ${mib(total)}` : ""}`);
            }
            cb(null, chunk);
          },
        });
        if (!res.body) throw new Error(`GET ${url}: empty body`);
        await pipeline(
          Readable.fromWeb(res.body as import("node:stream/web").ReadableStream),
          meter,
          createWriteStream(tmp),
        );
        const actual = hash.digest("hex");
        if (actual !== expected)
          throw new Error(`sha1 mismatch for ${url}: got ${actual}, Maven Central says ${expected}`);
        await rename(tmp, dest);
        log(`  ${url.split("/").pop()}: ${mib(bytes)} in ${((Date.now() - began) / 1000).toFixed(1)} s, sha1 ok`);
        return { sha1: actual, bytes };
      },
      wait,
    );
  } finally {
    await rm(tmp, { force: true });
  }
}

/** An artifact in the local cache (`<mavenCache>/<standard layout>`), downloaded and verified on first use. */
export async function cachedArtifact(mavenCache: string, c: Coordinate, log: (line: string) => void): Promise<string> {
  const rel = artifactPath(c, "jar");
  const dest = join(mavenCache, rel);
  if (existsSync(dest)) return dest;
  log(`downloading ${formatCoordinate(c)} from ${mavenRepo()}`);
  await downloadVerified(`${mavenRepo()}/${rel}`, dest, log);
  return dest;
}

// ---- POM reading (just enough of Maven's model: parents, properties, dependencyManagement) ----

interface Dependency {
  readonly groupId: string;
  readonly artifactId: string;
  readonly version?: string;
  readonly scope?: string;
  readonly optional?: boolean;
}

interface Pom {
  readonly coordinate: Coordinate;
  readonly parent?: Coordinate;
  readonly properties: Record<string, string>;
  readonly dependencies: Dependency[];
  readonly managed: Dependency[];
}

const tag = (xml: string, name: string): string | undefined =>
  new RegExp(`<${name}>\\s*([^<]*?)\\s*</${name}>`).exec(xml)?.[1];

function block(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1];
}

function parseDependencies(xml: string | undefined): Dependency[] {
  if (!xml) return [];
  const out: Dependency[] = [];
  for (const m of xml.matchAll(/<dependency>([\s\S]*?)<\/dependency>/g)) {
    const body = (m[1] ?? "").replace(/<exclusions>[\s\S]*?<\/exclusions>/g, "");
    const groupId = tag(body, "groupId");
    const artifactId = tag(body, "artifactId");
    if (!groupId || !artifactId) continue;
    out.push({
      groupId,
      artifactId,
      version: tag(body, "version"),
      scope: tag(body, "scope"),
      optional: tag(body, "optional") === "true",
    });
  }
  return out;
}

export function parsePom(text: string): Pom {
  const xml = text.replace(/<!--[\s\S]*?-->/g, "");
  const parentXml = block(xml, "parent");
  const parent = parentXml
    ? {
        groupId: tag(parentXml, "groupId") ?? "",
        artifactId: tag(parentXml, "artifactId") ?? "",
        version: tag(parentXml, "version") ?? "",
      }
    : undefined;
  // The project's own coordinate: top-level tags, i.e. outside <parent>, <dependencies>, <build>, ...
  const top = xml
    .replace(/<parent>[\s\S]*?<\/parent>/, "")
    .replace(/<dependencyManagement>[\s\S]*?<\/dependencyManagement>/g, "")
    .replace(/<dependencies>[\s\S]*?<\/dependencies>/g, "")
    .replace(/<build>[\s\S]*?<\/build>/g, "")
    .replace(/<profiles>[\s\S]*?<\/profiles>/g, "")
    .replace(/<plugins>[\s\S]*?<\/plugins>/g, "");
  const coordinate = {
    groupId: tag(top, "groupId") ?? parent?.groupId ?? "",
    artifactId: tag(top, "artifactId") ?? "",
    version: tag(top, "version") ?? parent?.version ?? "",
  };
  const properties: Record<string, string> = {};
  const propsXml = block(xml.replace(/<profiles>[\s\S]*?<\/profiles>/g, ""), "properties");
  if (propsXml)
    for (const m of propsXml.matchAll(/<([\w.-]+)>([^<]*)<\/\1>/g)) properties[m[1] ?? ""] = (m[2] ?? "").trim();
  const managedXml = block(xml, "dependencyManagement");
  const noProfiles = xml
    .replace(/<profiles>[\s\S]*?<\/profiles>/g, "")
    .replace(/<dependencyManagement>[\s\S]*?<\/dependencyManagement>/g, "");
  return {
    coordinate,
    parent,
    properties,
    dependencies: parseDependencies(block(noProfiles, "dependencies")),
    managed: parseDependencies(managedXml),
  };
}

async function loadPomChain(c: Coordinate): Promise<Pom[]> {
  const chain: Pom[] = [];
  let next: Coordinate | undefined = c;
  while (next && chain.length < 10) {
    const pom = parsePom(await fetchText(`${mavenRepo()}/${artifactPath(next, "pom")}`));
    chain.push(pom);
    next = pom.parent;
  }
  return chain;
}

function interpolate(value: string, chain: Pom[]): string {
  const lookup = (key: string): string | undefined => {
    const first = chain[0];
    if (key === "project.version" || key === "pom.version") return first?.coordinate.version;
    if (key === "project.groupId") return first?.coordinate.groupId;
    if (key === "project.parent.version") return first?.parent?.version;
    for (const pom of chain) if (key in pom.properties) return pom.properties[key];
    return undefined;
  };
  let out = value;
  for (let i = 0; i < 10 && out.includes("${"); i++) {
    out = out.replace(/\$\{([^}]+)\}/g, (whole, key: string) => lookup(key) ?? whole);
  }
  return out;
}

/**
 * The version `artifact` (a dependency of `of`) resolves to: its own <version>, else the nearest
 * <dependencyManagement> entry up the parent chain, with ${properties} interpolated.
 */
export async function dependencyVersion(
  of: Coordinate,
  dep: { groupId: string; artifactId: string },
): Promise<string | undefined> {
  const chain = await loadPomChain(of);
  const same = (d: Dependency) => d.groupId === dep.groupId && d.artifactId === dep.artifactId;
  const direct = chain[0]?.dependencies.find(same);
  if (!direct) return undefined;
  let version = direct.version;
  if (!version)
    for (const pom of chain) {
      const m = pom.managed.find(same);
      if (m?.version) {
        version = m.version;
        break;
      }
    }
  if (!version) return undefined;
  const resolved = interpolate(version, chain);
  return resolved.includes("${") ? undefined : resolved;
}

/** The AWS SDK bundle hadoop-aws was built against: v1 `aws-java-sdk-bundle` (Hadoop 3.3) or v2 `bundle` (3.4+). */
export async function awsSdkBundleFor(hadoopAws: Coordinate): Promise<Coordinate> {
  for (const dep of [
    { groupId: "com.amazonaws", artifactId: "aws-java-sdk-bundle" },
    { groupId: "software.amazon.awssdk", artifactId: "bundle" },
  ]) {
    const version = await dependencyVersion(hadoopAws, dep);
    if (version) return { ...dep, version };
  }
  throw infraError(`could not find the AWS SDK bundle version in the POM of ${formatCoordinate(hadoopAws)}`);
}
