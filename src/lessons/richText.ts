/**
 * A stop's text: plain text with three marks, parsed into spans that React renders as text nodes
 * (never HTML, so a lesson from a link cannot inject markup):
 *
 *   *emphasis*   **strong**   `code`
 *
 * A mark that is not closed on the same paragraph is just its characters. Blank lines separate
 * paragraphs. Inside a code span nothing is a mark.
 */

export type Span = { readonly kind: "text" | "em" | "strong" | "code"; readonly text: string };

/** Paragraphs of spans. */
export function parseRichText(text: string): Span[][] {
  return text
    .replace(/\r\n?/g, "\n")
    .split(/\n\s*\n/)
    .map((p) => p.replace(/\s*\n\s*/g, " ").trim())
    .filter((p) => p !== "")
    .map(parseParagraph);
}

function parseParagraph(p: string): Span[] {
  const out: Span[] = [];
  let plain = "";
  const flush = () => {
    if (plain !== "") out.push({ kind: "text", text: plain });
    plain = "";
  };
  let i = 0;
  while (i < p.length) {
    const rest = p.slice(i);
    const mark = rest.startsWith("`") ? "`" : rest.startsWith("**") ? "**" : rest.startsWith("*") ? "*" : null;
    if (mark) {
      const end = p.indexOf(mark, i + mark.length);
      // "**" closes at the next "**"; "*" must not close on the first half of a "**".
      if (end > i + mark.length) {
        flush();
        out.push({ kind: mark === "`" ? "code" : mark === "**" ? "strong" : "em", text: p.slice(i + mark.length, end) });
        i = end + mark.length;
        continue;
      }
    }
    plain += p[i];
    i++;
  }
  flush();
  return out;
}

/** The text without its marks (for the print title, aria labels and the claim tests). */
export function plainText(text: string): string {
  return parseRichText(text)
    .map((p) => p.map((s) => s.text).join(""))
    .join("\n\n");
}
