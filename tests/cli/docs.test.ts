/**
 * The sample output in docs/cli.md comes from real runs, so it cannot drift (issue 10: the docs
 * said 228 steps and critical step 64 after a run had become 234 and 65). Each sample block is
 * regenerated here from its commands — which lines it shows is chosen by what they are (the
 * header, the step of the first critical finding…), not by line number — and compared with the
 * block in the doc. When the engine changes the numbers on purpose, update the doc with
 * `npm run docs:samples` (UPDATE_DOCS=1), and review the diff.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { tagflow } from "./tagflow";

const DOC = fileURLToPath(new URL("../../docs/cli.md", import.meta.url));

/** Picks the lines a sample shows from a command's output; "…" marks lines left out. */
type Pick = (lines: readonly string[]) => string[];

interface Sample {
  /** The command as the doc shows it, after `$ npx `; `| tail -N` is applied to its output. */
  cmd: string;
  pick?: Pick;
  /** Shown but not run (it writes files in the reader's directory). */
  noRun?: boolean;
  /** A blank line after its output, before the next command. */
  gapAfter?: boolean;
}

const at = (lines: readonly string[], test: (l: string) => boolean, what: string): number => {
  const i = lines.findIndex(test);
  if (i < 0) throw new Error(`sample: no line for ${what}`);
  return i;
};

/** The narration of lo0-esp-ping, cut to the lines the doc discusses. */
const narration: Pick = (lines) => {
  const stone8 = at(lines, (l) => /^ +Stone step 8:/.test(l), "Stone step 8");
  const findings = at(lines, (l) => /^findings \(\d+\):$/.test(l), "findings");
  const critical = /^ {2}critical +step (\d+) /.exec(lines[findings + 1] ?? "");
  if (!critical) throw new Error("sample: the first finding is not critical");
  const step = at(lines, (l) => new RegExp(`^ +${critical[1]} +\\+`).test(l), `step ${critical[1]}`);
  return [...lines.slice(0, 5), "…", lines[stone8]!, "…", lines[step]!, "…", lines[findings]!, lines[findings + 1]!, "  …", ...lines.slice(-2)];
};

const firstLines =
  (n: number): Pick =>
  (lines) => [...lines.slice(0, n), "…"];

/** The side-by-side block of --compare: its heading, the first stretch's first pair, and the last two lines. */
const sideBySide: Pick = (lines) => {
  const head = at(lines, (l) => l.startsWith("side by side — "), "side by side");
  return [...lines.slice(head, head + 7), "  …", ...lines.slice(-2)];
};

/** Each block, by its commands in order; the doc's block is found by its first line. */
const BLOCKS: Sample[][] = [
  [{ cmd: "tagflow list", pick: firstLines(3) }],
  [
    { cmd: "tagflow run lo0-esp-ping", pick: narration, gapAfter: true },
    { cmd: "tagflow run lo0-esp-ping --fix icmp-reflect-strips-tags --quiet | tail -1" },
    { cmd: "tagflow run lo0-esp-ping --personality freebsd-7 --quiet | tail -1" },
    { cmd: "tagflow run my-scenario.json --json trace.json --pcap trace.pcapng --keys esp_sa", noRun: true },
  ],
  [
    { cmd: "tagflow run lo0-esp-ping --fix icmp-reflect-strips-tags --compare --quiet | tail -2" },
    { cmd: "tagflow run lo0-esp-ping --personality freebsd-7 --compare --quiet | tail -2" },
  ],
  [{ cmd: "tagflow run lo0-esp-ping --personality linux-xfrm --compare --quiet", pick: sideBySide }],
];

async function render(block: readonly Sample[]): Promise<string[]> {
  const out: string[] = [];
  for (const s of block) {
    out.push(`$ npx ${s.cmd}`);
    if (s.noRun) continue;
    const [command, tail] = s.cmd.split(" | tail -");
    const args = command!.trim().split(/\s+/).slice(1);
    const r = await tagflow(args);
    if (r.code !== 0) throw new Error(`${s.cmd}: exit ${r.code}: ${r.stderr}`);
    let lines = r.stdout.replace(/\n$/, "").split("\n");
    if (tail !== undefined) lines = lines.slice(-Number(tail));
    out.push(...(s.pick ? s.pick(lines) : lines));
    if (s.gapAfter) out.push("");
  }
  return out;
}

/** The doc's fenced blocks, as [start, end) line ranges of their contents. */
function fences(doc: string[]): [number, number][] {
  const out: [number, number][] = [];
  let open = -1;
  doc.forEach((l, i) => {
    if (!l.startsWith("```")) return;
    if (open < 0) open = i + 1;
    else {
      out.push([open, i]);
      open = -1;
    }
  });
  return out;
}

describe("docs/cli.md sample output", () => {
  it("matches real runs (npm run docs:samples to regenerate)", async () => {
    const doc = readFileSync(DOC, "utf8").split("\n");
    const blocks = fences(doc);
    const edits: { range: [number, number]; lines: string[] }[] = [];
    for (const block of BLOCKS) {
      const first = `$ npx ${block[0]!.cmd}`;
      const range = blocks.find(([a]) => doc[a] === first);
      if (!range) throw new Error(`docs/cli.md has no sample block starting "${first}"`);
      edits.push({ range, lines: await render(block) });
    }
    if (process.env.UPDATE_DOCS) {
      for (const { range, lines } of [...edits].reverse()) doc.splice(range[0], range[1] - range[0], ...lines);
      writeFileSync(DOC, doc.join("\n"));
      return;
    }
    for (const { range, lines } of edits) expect(doc.slice(...range).join("\n")).toBe(lines.join("\n"));
  });
});
