/** A stop's text as React text nodes: emphasis, strong and code spans, never HTML (lessons/richText.ts). */
import type { ReactElement } from "react";
import { parseRichText } from "../../lessons/richText";

/** Props: `text` in the lesson text format; `className` for each paragraph. */
export function RichText({ text, className }: { text: string; className?: string }): ReactElement {
  return (
    <>
      {parseRichText(text).map((spans, p) => (
        <p key={p} className={className}>
          {spans.map((s, i) =>
            s.kind === "em" ? (
              <em key={i}>{s.text}</em>
            ) : s.kind === "strong" ? (
              <strong key={i}>{s.text}</strong>
            ) : s.kind === "code" ? (
              <code key={i}>{s.text}</code>
            ) : (
              s.text
            ),
          )}
        </p>
      ))}
    </>
  );
}
