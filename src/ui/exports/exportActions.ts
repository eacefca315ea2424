/**
 * Exports from the app, matching the CLI (`tagflow run --pcap --keys --json`): the capture of
 * every link with a comment per step, the Wireshark ESP key table, the trace as JSON, the
 * scenario as a file that opens again, and the current step as SVG and PNG. Loaded on first use
 * (a chunk of its own), so none of it weighs on the first page load.
 */
import { builtinByName, type ScenarioTrace } from "../../engine/index";
import { espSaTable, traceEspSas, traceToJson, traceToPcapng } from "../../export/index";
import { sourceOf } from "../../store/selectors";
import type { TagflowState } from "../../store/types";
import { pictureToPng, SLIDE, snapshotStep, type StepCaption } from "./stepSvg";
import { emitConfig } from "../../convert/index";

export type ExportKind = "pcapng" | "keys" | "trace" | "scenario" | "svg" | "png" | "slide" | "setkey" | "ip-xfrm";

/** "lo0-esp-ping", "lo0-esp-ping+icmp-reflect-strips-tags": what the files of a run are called. */
export function fileBase(trace: ScenarioTrace): string {
  const name = trace.scenario.name.replace(/[^a-z0-9-]/gi, "") || "scenario";
  return trace.fixes.length > 0 ? `${name}+${trace.fixes.join("+")}` : name;
}

/**
 * The scenario as a file: a built-in as written (defaults left out) with the personality and
 * fixes in use; a scenario from a file or link as the engine ran it. Opening it gives the same trace.
 */
export function scenarioFileOf(s: Pick<TagflowState, "source" | "personality" | "fixes" | "trace">): string {
  const builtin = s.source.kind === "builtin" ? builtinByName(s.source.name) : undefined;
  const value = builtin ? { ...builtin, personality: s.personality, fixes: [...s.fixes] } : s.trace?.scenario;
  if (!value) throw new Error("there is no scenario to export yet");
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** Save `data` as a download called `name`. */
export function download(data: Blob, name: string, doc: Document = document): void {
  const url = URL.createObjectURL(data);
  const a = doc.createElement("a");
  a.href = url;
  a.download = name;
  a.rel = "noopener";
  a.style.display = "none";
  doc.body.append(a);
  a.click();
  a.remove();
  // Long enough for the browser to start the download.
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function captionOf(s: TagflowState, trace: ScenarioTrace): StepCaption {
  const e = trace.events.at(s.cursor);
  const fixes = trace.fixes.length > 0 ? `fixes: ${trace.fixes.join(", ")}` : "no fixes";
  const source = e ? sourceOf(trace.personality, e.fn) : null;
  return {
    title: trace.scenario.title || trace.scenario.name,
    detail: `step ${s.cursor + 1} of ${trace.events.length} · ${trace.outcome.verdict} · ${trace.personality} · ${fixes}`,
    where: e ? `${e.fn}()${source ? ` · ${source}` : ""}${trace.scenario.hosts.length > 1 ? ` · ${e.host}` : ""}` : "",
    note: e?.note ?? "This scenario recorded no steps.",
    verdict: trace.outcome.verdict,
  };
}

/** The stack pane the pictures are taken from. */
export function stackPane(doc: Document): HTMLElement {
  const pane = doc.querySelector<HTMLElement>("[data-testid=stack]");
  if (!pane) throw new Error("there is no stack view on screen to export");
  return pane;
}

/** Make and download one export of the state `s`; throws (with a sentence) when it cannot. */
export async function runExport(kind: ExportKind, s: TagflowState, doc: Document = document): Promise<string> {
  const trace = s.trace;
  if (!trace) throw new Error("there is no trace on screen yet");
  const base = fileBase(trace);
  const step = `${base}-step${s.cursor + 1}`;
  let name: string;
  switch (kind) {
    case "pcapng": {
      const bytes = traceToPcapng(trace);
      download(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/x-pcapng" }), (name = `${base}.pcapng`), doc);
      break;
    }
    case "keys": {
      const sas = traceEspSas(trace);
      if (sas.length === 0) throw new Error("this scenario has no ESP SAs, so there are no keys to export");
      // octet-stream: as text/plain the browser would save it as esp_sa.txt, a name Wireshark does not read.
      download(
        new Blob([espSaTable(sas, `ESP SAs of ${base}, exported by tagflow: put this file in your Wireshark profile as esp_sa`)], {
          type: "application/octet-stream",
        }),
        (name = "esp_sa"),
        doc,
      );
      break;
    }
    case "trace":
      download(new Blob([traceToJson(trace)], { type: "application/json" }), (name = `${base}.trace.json`), doc);
      break;
    case "scenario":
      download(new Blob([scenarioFileOf(s)], { type: "application/json" }), (name = `${base}.json`), doc);
      break;
    case "svg": {
      const picture = snapshotStep(stackPane(doc), captionOf(s, trace));
      download(new Blob([picture.svg], { type: "image/svg+xml" }), (name = `${step}.svg`), doc);
      break;
    }
    case "png": {
      const picture = snapshotStep(stackPane(doc), captionOf(s, trace));
      download(await pictureToPng(picture, 2, doc), (name = `${step}.png`), doc);
      break;
    }
    case "slide": {
      const picture = snapshotStep(stackPane(doc), captionOf(s, trace));
      const background = getComputedStyle(doc.documentElement).getPropertyValue("--surface").trim() || "#ffffff";
      download(await pictureToPng(picture, 2, doc, { ...SLIDE, background }), (name = `${step}-slide.png`), doc);
      break;
    }
    case "setkey":
    case "ip-xfrm": {
      // One host's SAD and SPD, as `tagflow convert --to setkey|ip-xfrm` writes them (src/convert).
      const out = emitConfig(trace.scenario, kind);
      if (!out.ok) throw new Error(out.errors.join("; "));
      const text = out.warnings.length > 0 ? `${out.text}${out.warnings.map((w) => `# note: ${w}`).join("\n")}\n` : out.text;
      download(new Blob([text], { type: "text/plain" }), (name = kind === "setkey" ? `${base}.setkey.conf` : `${base}.xfrm.sh`), doc);
      break;
    }
  }
  return name;
}
