/**
 * setkey and ip xfrm files in and out (issue 18): the one import path for the CLI and the app.
 * parse → KeyConfig (setkey.ts, ipxfrm.ts) → inferScenario (infer.ts) → a validated scenario;
 * and a scenario host's SAD/SPD → emitSetkey / emitIpXfrm.
 */
import type { Scenario } from "../engine";
import type { HostSpec } from "../engine/scenario/schema";
import { inferScenario, type InferOptions, type InferResult } from "./infer";
import { emitIpXfrm, parseIpXfrm } from "./ipxfrm";
import { mirrorPolicy, type Diag, type ParseResult } from "./model";
import { emitSetkey, parseSetkey } from "./setkey";

export { formatDiag, type Diag, type KeyConfig } from "./model";
export { inferScenario, scenarioName, type InferOptions, type InferResult } from "./infer";
export { parseSetkey, emitSetkey } from "./setkey";
export { parseIpXfrm, emitIpXfrm } from "./ipxfrm";

/** The two configuration syntaxes. */
export type ConfigSyntax = "setkey" | "ip-xfrm";
export const CONFIG_SYNTAXES: readonly ConfigSyntax[] = ["setkey", "ip-xfrm"];

export function parseConfig(text: string, syntax: ConfigSyntax): ParseResult {
  return syntax === "setkey" ? parseSetkey(text) : parseIpXfrm(text);
}

/** A configuration file as a scenario: every error of the parse, or of the inferred scenario, or the scenario with warnings. */
export function configToScenario(text: string, syntax: ConfigSyntax, opts: InferOptions = {}): InferResult {
  const parsed = parseConfig(text, syntax);
  if (!parsed.ok) return parsed;
  return inferScenario(parsed.config, opts);
}

/** setkey statements, `ip xfrm` commands or what `ip xfrm` prints, by content; else `.conf` / `.setkey` are setkey. */
export function guessSyntax(fileName: string, text: string): ConfigSyntax | undefined {
  if (/\bsetkey\b[^\n]*<</.test(text) || /^\s*(spdadd|add)\s/m.test(text)) return "setkey";
  if (/^\s*(sudo\s+)?ip\s+(-\S+\s+)*xfrm\b/m.test(text)) return "ip-xfrm";
  // What `ip xfrm state` / `ip xfrm policy` print: `src A dst B`, then indented lines.
  if (/^src \S+ dst \S+[ \t]*\r?\n[ \t]+(proto|dir)\b/m.test(text)) return "ip-xfrm";
  if (/\.(conf|setkey)$/i.test(fileName)) return "setkey";
  return undefined;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export type EmitResult = { ok: true; text: string; host: string; warnings: string[] } | { ok: false; errors: string[] };

/**
 * One host's SAs and policies in `syntax`: the named host, else the first with any. Another host
 * that holds anything but the same SAs and the mirrored policies is a warning: one file cannot say it.
 */
export function emitConfig(scenario: Scenario, syntax: ConfigSyntax, opts: { host?: string } = {}): EmitResult {
  const host: HostSpec | undefined =
    opts.host !== undefined
      ? scenario.hosts.find((h) => h.name === opts.host)
      : (scenario.hosts.find((h) => h.sad.length > 0 || h.spd.length > 0) ?? scenario.hosts[0]);
  if (!host) return { ok: false, errors: [`no host named '${opts.host ?? ""}' (hosts: ${scenario.hosts.map((h) => h.name).join(", ")})`] };
  const warnings: string[] = [];
  const mirror = host.spd.map(mirrorPolicy);
  const expected = [...mirror.filter((p) => p.dir === "out"), ...mirror.filter((p) => p.dir === "in")];
  for (const other of scenario.hosts) {
    if (other === host || (other.sad.length === 0 && other.spd.length === 0)) continue;
    if (!same(other.sad, host.sad) || !same(other.spd, expected))
      warnings.push(
        `host ${other.name}'s SAs and policies are not ${host.name}'s mirrored; only ${host.name}'s are written (choose another with --host)`,
      );
  }
  const header = [
    `SAs and policies of host ${host.name} in scenario ${scenario.name}, written by tagflow convert.`,
    `${syntax === "setkey" ? "A setkey file" : "An ip xfrm script"} holds no hosts, interfaces, routes, links or traffic; tagflow convert infers them when reading it back.`,
  ];
  const out = syntax === "setkey" ? emitSetkey(host, header) : emitIpXfrm(host, header);
  return { ok: true, text: out.text, host: host.name, warnings: [...warnings, ...out.warnings] };
}

/** How many diagnostics are listed one by one; a hostile file of a million broken statements gets a count for the rest. */
export const MAX_LISTED_DIAGS = 50;

/** Diagnostics as "where:line:col: message" lines, at most MAX_LISTED_DIAGS and then how many more. */
export function diagLines(where: string, diags: readonly Diag[], what = "problems"): string[] {
  const lines = diags.slice(0, MAX_LISTED_DIAGS).map((d) => `${where}:${d.line}:${d.col}: ${d.message}`);
  if (diags.length > MAX_LISTED_DIAGS) lines.push(`${where}: … and ${diags.length - MAX_LISTED_DIAGS} more ${what}`);
  return lines;
}

/**
 * A file the app was given (Open… or a drop): JSON is left to the scenario loader; a setkey file or
 * an ip xfrm script is converted, its errors and warnings located as "line L:C" for the problems list.
 */
export function convertOpenedFile(
  fileName: string,
  text: string,
):
  | { kind: "json" }
  | { kind: "converted"; syntax: ConfigSyntax; scenarioJson: string; warnings: { path: string; message: string }[] }
  | { kind: "failed"; syntax: ConfigSyntax; problems: { path: string; message: string }[] } {
  const syntax = /^\s*[{[]/.test(text) ? undefined : guessSyntax(fileName, text);
  if (syntax === undefined) return { kind: "json" };
  const located = (ds: readonly Diag[]) => [
    ...ds.slice(0, MAX_LISTED_DIAGS).map((d) => ({ path: `line ${d.line}:${d.col}`, message: d.message })),
    ...(ds.length > MAX_LISTED_DIAGS ? [{ path: fileName, message: `… and ${ds.length - MAX_LISTED_DIAGS} more` }] : []),
  ];
  const result = configToScenario(text, syntax, { name: fileName.replace(/\.[^.]*$/, ""), source: fileName });
  if (!result.ok) return { kind: "failed", syntax, problems: located(result.errors) };
  return { kind: "converted", syntax, scenarioJson: JSON.stringify(result.scenario), warnings: located(result.warnings) };
}
