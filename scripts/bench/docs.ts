// The committed benchmark report and the figures generated from it: every section's run is saved to
// docs/bench/<section>.json (every sample, the machine, its load, the date, the commit, the command),
// and docs/benchmarks.md plus the marked regions of other pages (<!-- bench:NAME -->...<!-- /bench -->)
// are rendered from those files only, so a figure in the docs cannot differ from the data behind it.

import { mkdir, readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  bakedImageRegion,
  committerCostRegion,
  motoApplyRegion,
  overheadRegion,
  renderMarkdown,
  type Section,
  type SectionReport,
  type Sections,
  sectionTitles,
  twinReadyFigure,
  twinRunsRegion,
} from "./report.ts";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const benchDir = join("docs", "bench");

/** The pages with generated figures, and the generator of each region they mark. */
const regionPages: Readonly<Record<string, Readonly<Record<string, (sections: Sections) => string>>>> = {
  "README.md": { "local-overhead": (sections) => overheadRegion(need(sections, "localOverhead", "README.md")) },
  "docs/aws.md": {
    "moto-apply": (sections) => motoApplyRegion(need(sections, "motoApply", "docs/aws.md")),
    "committer-cost": (sections) => committerCostRegion(need(sections, "committerCost", "docs/aws.md")),
    "twin-runs": (sections) => twinRunsRegion(need(sections, "awsTwin", "docs/aws.md")),
    "twin-first-step": (sections) => twinReadyFigure(need(sections, "awsTwin", "docs/aws.md"), "to first step"),
    "twin-install-spark": (sections) => twinReadyFigure(need(sections, "awsTwin", "docs/aws.md"), "install-spark"),
    "twin-start-to-ready": (sections) => twinReadyFigure(need(sections, "awsTwin", "docs/aws.md"), "start to ready"),
    "twin-wait-ready": (sections) => twinReadyFigure(need(sections, "awsTwin", "docs/aws.md"), "wait-ready"),
  },
  "docs/operations.md": {
    "baked-image": (sections) => bakedImageRegion(need(sections, "bakedImage", "docs/operations.md")),
  },
  "docs/reliability.md": {
    "committer-cost": (sections) => committerCostRegion(need(sections, "committerCost", "docs/reliability.md")),
  },
};

function need<S extends Section>(sections: Sections, section: S, page: string): SectionReport<S> {
  const report = sections[section] as SectionReport<S> | undefined;
  if (!report) throw new Error(`${page} shows figures of ${join(benchDir, `${section}.json`)}, which does not exist`);
  return report;
}

export async function readSections(root = repoRoot): Promise<Sections> {
  const out: Record<string, SectionReport> = {};
  const files = (await readdir(join(root, benchDir))).filter((name) => name.endsWith(".json")).sort();
  for (const file of files) {
    const section = file.replace(/\.json$/, "");
    if (!(section in sectionTitles))
      throw new Error(
        `${join(benchDir, file)}: no section ${section}; choose from ${Object.keys(sectionTitles).join(", ")}`,
      );
    const report = JSON.parse(await readFile(join(root, benchDir, file), "utf8")) as SectionReport;
    if (report.section !== section) throw new Error(`${join(benchDir, file)} holds section ${report.section}`);
    out[section] = report;
  }
  return out as Sections;
}

/** Saves each section of one run to its own file, replacing that section's earlier run only. */
export async function writeSections(sections: Sections, root = repoRoot): Promise<string[]> {
  await mkdir(join(root, benchDir), { recursive: true });
  const written: string[] = [];
  for (const report of Object.values(sections) as SectionReport[]) {
    const file = join(benchDir, `${report.section}.json`);
    await writeFile(join(root, file), `${JSON.stringify(report, null, 2)}\n`);
    written.push(file);
  }
  return written;
}

/** Every generated page's text as the committed report makes it, by path from the repository root. */
export async function renderDocs(root = repoRoot): Promise<Map<string, string>> {
  const sections = await readSections(root);
  const pages = new Map<string, string>([[join("docs", "benchmarks.md"), renderMarkdown(sections)]]);
  for (const [page, regions] of Object.entries(regionPages)) {
    const text = await readFile(join(root, page), "utf8");
    pages.set(page, fillRegions(text, page, regions, sections));
  }
  return pages;
}

const marker = /<!-- bench:([a-z-]+) -->([\s\S]*?)<!-- \/bench -->/g;

/** The page with each marked region's content regenerated; a region without a generator is an error. */
export function fillRegions(
  text: string,
  page: string,
  regions: Readonly<Record<string, (sections: Sections) => string>>,
  sections: Sections,
): string {
  const seen = new Set<string>();
  const filled = text.replace(marker, (_whole, name: string, old: string) => {
    const generate = regions[name];
    if (!generate) throw new Error(`${page}: region bench:${name} has no generator in scripts/bench/docs.ts`);
    seen.add(name);
    const body = generate(sections);
    // A region on lines of its own stays on lines of its own; an inline one stays inline.
    return old.startsWith("\n")
      ? `<!-- bench:${name} -->\n${body}\n<!-- /bench -->`
      : `<!-- bench:${name} -->${body}<!-- /bench -->`;
  });
  const missing = Object.keys(regions).filter((name) => !seen.has(name));
  if (missing.length > 0) throw new Error(`${page}: no <!-- bench:${missing.join(" / ")} --> region`);
  return filled;
}

export async function writeDocs(root = repoRoot): Promise<string[]> {
  const pages = await renderDocs(root);
  for (const [page, text] of pages) await writeFile(join(root, page), text);
  return [...pages.keys()];
}

/** The generated pages whose committed text differs from what the committed report generates. */
export async function checkDocs(root = repoRoot): Promise<string[]> {
  const drifted: string[] = [];
  for (const [page, text] of await renderDocs(root)) {
    if ((await readFile(join(root, page), "utf8")) !== text) drifted.push(page);
  }
  return drifted;
}
