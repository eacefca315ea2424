/**
 * Figures, their budgets and the printed table. Every figure carries its value; time figures
 * also carry a baseline measured in the same run and the ratio to it (machines are noisy, so
 * the ratio is the comparable number); budgeted figures say PASS or FAIL.
 */

export type Verdict = "PASS" | "FAIL" | "info";

export interface Figure {
  readonly section: string;
  /** Stable key for the JSON report, e.g. "engine.aesGcm.echoesPerSecond". */
  readonly id: string;
  readonly label: string;
  readonly value: number;
  readonly unit: string;
  /** How the value prints, e.g. "3,412 echoes/s". */
  readonly text: string;
  readonly baseline?: { readonly label: string; readonly value: number; readonly text: string };
  /** value ÷ baseline (or the figure's own ratio, e.g. engine/crypto), with what it means. */
  readonly ratio?: { readonly value: number; readonly label: string };
  readonly budget?: { readonly text: string; readonly pass: boolean };
  readonly note?: string;
}

export function verdictOf(f: Figure): Verdict {
  return f.budget ? (f.budget.pass ? "PASS" : "FAIL") : "info";
}

const nf = (digits: number) => new Intl.NumberFormat("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** 1234.5 → "1,235" (digits 0), "1,234.5" (digits 1). */
export function num(n: number, digits = 0): string {
  return Number.isFinite(n) ? nf(digits).format(n) : "n/a";
}

export function ms(n: number): string {
  return n >= 100 ? `${num(n)} ms` : n >= 10 ? `${num(n, 1)} ms` : `${num(n, 2)} ms`;
}

export function mib(bytes: number): string {
  return `${num(bytes / 2 ** 20, 1)} MiB`;
}

export function kib(bytes: number): string {
  return `${num(bytes / 1024, 1)} KiB`;
}

export function ratioText(r: number): string {
  return r >= 10 ? `${num(r, 1)}×` : `${num(r, 2)}×`;
}

function pad(s: string, width: number): string {
  // Column widths count code points, so "µ" and "×" line up.
  const len = [...s].length;
  return len >= width ? s : s + " ".repeat(width - len);
}

/** The readable table: one block per section. */
export function formatTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => ({
    section: f.section,
    cells: [
      f.label,
      f.text,
      f.baseline ? `${f.baseline.text} (${f.baseline.label})` : "",
      f.ratio ? `${ratioText(f.ratio.value)} ${f.ratio.label}` : "",
      f.budget?.text ?? "",
      verdictOf(f) === "info" ? "" : verdictOf(f),
    ],
    note: f.note,
  }));
  const headers = ["Figure", "Value", "Baseline (same run)", "Ratio", "Budget", "Result"];
  const widths = headers.map((h, i) => Math.max([...h].length, ...rows.map((r) => [...r.cells[i]!].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => pad(c, widths[i]!))
      .join("  ")
      .trimEnd();
  const out: string[] = [line(headers), widths.map((w) => "-".repeat(w)).join("  ")];
  let section = "";
  for (const r of rows) {
    if (r.section !== section) {
      section = r.section;
      out.push("", `## ${section}`);
    }
    out.push(line(r.cells));
    if (r.note) out.push(`   ${r.note}`);
  }
  return out.join("\n");
}

/** The same table as Markdown, one table per section, for docs/bench.md. */
export function formatMarkdown(figures: readonly Figure[]): string {
  const esc = (s: string) => s.replace(/\|/g, "\\|");
  const out: string[] = [];
  let section = "";
  for (const f of figures) {
    if (f.section !== section) {
      section = f.section;
      out.push("", `#### ${esc(section)}`, "", "| Figure | Value | Baseline (same run) | Ratio | Budget | Result |", "|---|---|---|---|---|---|");
    }
    const v = verdictOf(f);
    out.push(
      `| ${esc(f.label)} | ${esc(f.text)} | ${f.baseline ? esc(`${f.baseline.text} (${f.baseline.label})`) : ""} | ${f.ratio ? esc(`${ratioText(f.ratio.value)} ${f.ratio.label}`) : ""} | ${esc(f.budget?.text ?? "")} | ${v === "info" ? "" : `**${v}**`} |`,
    );
  }
  return out.join("\n").trimStart();
}
