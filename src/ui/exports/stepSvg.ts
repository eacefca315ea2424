/**
 * The current step as a standalone picture for slides: the stack view's SVG with every computed
 * style written onto its elements (colours resolved from the theme's CSS variables, fonts, the
 * shared hatch patterns and arrowheads copied in), the decision callout (an HTML overlay on
 * screen) redrawn as SVG text word by word where the browser laid it out, and a caption naming
 * the scenario, the step and what happened. Drawn to a canvas at 2× it becomes the PNG.
 */
import type { Verdict } from "../../engine/index";
import { wrapWords } from "../text";

const SVG_NS = "http://www.w3.org/2000/svg";

/** Presentation properties copied from the computed style (the rest are attributes already). */
const PAINT = [
  "fill",
  "fill-opacity",
  "stroke",
  "stroke-width",
  "stroke-opacity",
  "stroke-dasharray",
  "stroke-linecap",
  "stroke-linejoin",
  "opacity",
  "font-family",
  "font-size",
  "font-weight",
  "font-style",
  "letter-spacing",
  "text-decoration",
  "visibility",
  "paint-order",
] as const;

/** Pattern and marker ids the stack view refers to (SvgDefs.tsx). */
const SHARED_DEFS = ["tf-hatch-enc", "tf-hatch-stale", "tf-arrow"];

export interface StepCaption {
  /** "Fast-IPsec over lo0 (NetBSD, 2003)" */
  readonly title: string;
  /** "step 65 of 234 · insecure · fixes: none" */
  readonly detail: string;
  /** "ip_output() · sys/netinet/ip_output.c" */
  readonly where: string;
  /** The narration sentence. */
  readonly note: string;
  /** The run's verdict, drawn as a chip before the title (as the banner shows it). */
  readonly verdict?: Verdict;
}

/** The banner's verdict colours (theme.css --ok, --danger, --warn, --loop), read from the page. */
const VERDICT_TOKEN: Readonly<Record<Verdict, string>> = { secure: "--ok", insecure: "--danger", dropped: "--warn", loop: "--loop", crash: "--loop" };

export interface StepPicture {
  readonly svg: string;
  readonly width: number;
  readonly height: number;
}

function el<K extends keyof SVGElementTagNameMap>(
  doc: Document,
  name: K,
  attrs: Record<string, string | number>,
  text?: string,
): SVGElementTagNameMap[K] {
  const node = doc.createElementNS(SVG_NS, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Write the computed paint of every element of `from` onto the matching element of `to` (same shape). */
function inlineStyles(from: Element, to: Element): void {
  const src = [from, ...from.querySelectorAll("*")];
  const dst = [to, ...to.querySelectorAll("*")];
  const view = from.ownerDocument.defaultView;
  if (!view) return;
  for (let i = 0; i < src.length && i < dst.length; i++) {
    const cs = view.getComputedStyle(src[i]!);
    const d = dst[i]!;
    const decl: string[] = [];
    if (cs.display === "none") decl.push("display:none");
    for (const p of PAINT) {
      const v = cs.getPropertyValue(p);
      if (v && v !== "normal" && !(p === "text-decoration" && v.startsWith("none"))) decl.push(`${p}:${v}`);
    }
    d.setAttribute("style", decl.join(";"));
    d.removeAttribute("class");
  }
}

/** The first non-transparent background from `node` up. */
function backgroundOf(node: Element | null): string {
  for (let n = node; n; n = n.parentElement) {
    const bg = getComputedStyle(n).backgroundColor;
    if (bg && bg !== "transparent" && !/rgba\(.*,\s*0\)$/.test(bg)) return bg;
  }
  return "#ffffff";
}

const transparent = (c: string) => !c || c === "transparent" || /rgba\(.*,\s*0\)$/.test(c);

/**
 * An HTML overlay (the callout) as SVG: its boxes (backgrounds, borders) and each word where the
 * browser put it, in its own font and colour. `ox`, `oy`: the picture's origin in client pixels.
 */
function overlayToSvg(doc: Document, overlay: HTMLElement, ox: number, oy: number): SVGGElement {
  const g = el(doc, "g", { "data-part": "callout" });
  for (const node of [overlay, ...overlay.querySelectorAll<HTMLElement>("*")]) {
    const cs = getComputedStyle(node);
    const radius = parseFloat(cs.borderTopLeftRadius) || 0;
    for (const r of node === overlay ? [node.getBoundingClientRect()] : [...node.getClientRects()]) {
      if (r.width === 0 || r.height === 0) continue;
      const [x, y] = [r.left - ox, r.top - oy];
      if (!transparent(cs.backgroundColor))
        g.append(el(doc, "rect", { x, y, width: r.width, height: r.height, rx: radius, fill: cs.backgroundColor }));
      const side = (w: string, style: string, color: string, x1: number, y1: number, x2: number, y2: number) => {
        const width = parseFloat(w);
        if (width > 0 && style !== "none" && !transparent(color)) g.append(el(doc, "line", { x1, y1, x2, y2, stroke: color, "stroke-width": width }));
      };
      const uniform =
        cs.borderTopWidth === cs.borderLeftWidth &&
        cs.borderTopWidth === cs.borderRightWidth &&
        cs.borderTopWidth === cs.borderBottomWidth &&
        cs.borderTopColor === cs.borderLeftColor &&
        cs.borderTopStyle !== "none";
      if (uniform && parseFloat(cs.borderTopWidth) > 0) {
        const w = parseFloat(cs.borderTopWidth);
        g.append(
          el(doc, "rect", {
            x: x + w / 2,
            y: y + w / 2,
            width: r.width - w,
            height: r.height - w,
            rx: Math.max(0, radius - w / 2),
            fill: "none",
            stroke: cs.borderTopColor,
            "stroke-width": w,
          }),
        );
      } else {
        side(cs.borderTopWidth, cs.borderTopStyle, cs.borderTopColor, x, y, x + r.width, y);
        side(cs.borderBottomWidth, cs.borderBottomStyle, cs.borderBottomColor, x, y + r.height, x + r.width, y + r.height);
        side(cs.borderLeftWidth, cs.borderLeftStyle, cs.borderLeftColor, x, y, x, y + r.height);
      }
    }
  }
  const walker = doc.createTreeWalker(overlay, NodeFilter.SHOW_TEXT);
  const range = doc.createRange();
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const text = t.textContent ?? "";
    const parent = t.parentElement;
    if (!parent) continue;
    const cs = getComputedStyle(parent);
    const spacing = cs.letterSpacing !== "normal" ? `;letter-spacing:${cs.letterSpacing}` : "";
    const style = `fill:${cs.color};font-family:${cs.fontFamily};font-size:${cs.fontSize};font-weight:${cs.fontWeight};font-style:${cs.fontStyle}${spacing}`;
    // The browser laid the words out transformed ("DECISION"): draw them so, or they will not fit their places.
    const transform = (w: string) =>
      cs.textTransform === "uppercase"
        ? w.toUpperCase()
        : cs.textTransform === "lowercase"
          ? w.toLowerCase()
          : cs.textTransform === "capitalize"
            ? w.charAt(0).toUpperCase() + w.slice(1)
            : w;
    for (const m of text.matchAll(/\S+/g)) {
      range.setStart(t, m.index);
      range.setEnd(t, m.index + m[0].length);
      const r = range.getClientRects()[0];
      if (!r || r.width === 0) continue;
      g.append(
        el(
          doc,
          "text",
          { x: (r.left - ox).toFixed(1), y: (r.top - oy + r.height / 2).toFixed(1), "dominant-baseline": "central", style },
          transform(m[0]),
        ),
      );
    }
  }
  return g;
}

/** The width of `text` in `font` (a canvas measures it; about 8px a character without one). */
function textWidth(text: string, font: string, doc: Document): number {
  const ctx = doc.createElement("canvas").getContext("2d");
  if (!ctx) return text.length * 8;
  ctx.font = font;
  return ctx.measureText(text).width;
}

/** Greedy word wrap of `text` to `width` pixels in `font` (canvas metrics; a rough estimate without a canvas). */
export function wrapText(text: string, width: number, font: string, doc: Document = document): string[] {
  const ctx = doc.createElement("canvas").getContext("2d");
  if (ctx) ctx.font = font;
  return wrapWords(text, width, (s) => (ctx ? ctx.measureText(s).width : s.length * 8));
}

/**
 * Snapshot the stack pane (`[data-testid=stack]`): its SVG, the callout over it, and a caption.
 * Throws when the pane has no drawing (no trace on screen).
 */
export function snapshotStep(pane: HTMLElement, caption: StepCaption): StepPicture {
  const doc = pane.ownerDocument;
  const svg = pane.querySelector<SVGSVGElement>("svg.stack-svg");
  if (!svg) throw new Error("there is no stack view on screen to export");
  const box = svg.getBoundingClientRect();
  const width = Math.round(box.width);
  const stackHeight = Math.round(box.height);

  const bodyStyle = getComputedStyle(doc.body);
  const font = bodyStyle.fontFamily;
  const text = bodyStyle.color;
  const muted = getComputedStyle(doc.documentElement).getPropertyValue("--text-muted").trim() || text;
  const border = getComputedStyle(doc.documentElement).getPropertyValue("--border").trim() || "#c4ccd7";
  const surface = getComputedStyle(doc.documentElement).getPropertyValue("--surface").trim() || "#ffffff";

  const pad = 16;
  const noteLines = wrapText(caption.note, width - 2 * pad, `15px ${font}`, doc).slice(0, 4);
  // The detail (step, verdict, kernel, fixes) sits right of the title when both fit on a line;
  // otherwise (a fix's long name, a narrow pane) on lines of its own under the title, never over it.
  // The verdict chip: an uppercase word in a pill, left of the title.
  const chipText = caption.verdict?.toUpperCase() ?? "";
  const chipWidth = caption.verdict ? Math.ceil(textWidth(chipText, `800 13px ${font}`, doc)) + 20 : 0;
  const titleX = pad + (chipWidth > 0 ? chipWidth + 10 : 0);
  const titleWidth = titleX - pad + textWidth(caption.title, `700 17px ${font}`, doc);
  const detailWidth = textWidth(caption.detail, `600 14px ${font}`, doc);
  const detailBeside = titleWidth + 24 + detailWidth <= width - 2 * pad;
  const detailLines = detailBeside ? [] : wrapText(caption.detail, width - 2 * pad, `600 14px ${font}`, doc);
  const below = detailLines.length * 19;
  const captionHeight = pad + 22 + 20 + below + noteLines.length * 20 + pad - 4;
  const height = stackHeight + captionHeight;

  const out = el(doc, "svg", { width, height, viewBox: `0 0 ${width} ${height}`, "font-family": font });
  out.append(el(doc, "title", {}, `${caption.title} — ${caption.detail}`));
  const defs = el(doc, "defs", {});
  for (const id of SHARED_DEFS) {
    const def = doc.getElementById(id);
    if (!def) continue;
    const copy = def.cloneNode(true) as Element;
    inlineStyles(def, copy);
    defs.append(copy);
  }
  out.append(defs);
  out.append(el(doc, "rect", { width, height: stackHeight, fill: backgroundOf(pane) }));

  const stack = svg.cloneNode(true) as SVGSVGElement;
  inlineStyles(svg, stack);
  stack.setAttribute("x", "0");
  stack.setAttribute("y", "0");
  stack.setAttribute("width", String(width));
  stack.setAttribute("height", String(stackHeight));
  stack.removeAttribute("style");
  out.append(stack);

  const callout = pane.querySelector<HTMLElement>("[data-testid=callout]");
  if (callout) out.append(overlayToSvg(doc, callout, box.left, box.top));

  const cap = el(doc, "g", { "data-part": "caption", transform: `translate(0,${stackHeight})` });
  cap.append(el(doc, "rect", { width, height: captionHeight, fill: surface }));
  cap.append(el(doc, "line", { x1: 0, x2: width, y1: 0.5, y2: 0.5, stroke: border }));
  if (caption.verdict) {
    const fill = getComputedStyle(doc.documentElement).getPropertyValue(VERDICT_TOKEN[caption.verdict]).trim() || muted;
    const chip = el(doc, "g", { "data-part": "verdict" });
    chip.append(el(doc, "rect", { x: pad, y: pad - 2, width: chipWidth, height: 22, rx: 11, fill }));
    chip.append(
      el(
        doc,
        "text",
        {
          x: pad + chipWidth / 2,
          y: pad + 13,
          "text-anchor": "middle",
          style: `fill:${surface};font-size:13px;font-weight:800;letter-spacing:0.06em`,
        },
        chipText,
      ),
    );
    cap.append(chip);
  }
  cap.append(el(doc, "text", { x: titleX, y: pad + 14, style: `fill:${text};font-size:17px;font-weight:700` }, caption.title));
  if (detailBeside)
    cap.append(
      el(
        doc,
        "text",
        { x: width - pad, y: pad + 14, "text-anchor": "end", "data-part": "detail", style: `fill:${muted};font-size:14px;font-weight:600` },
        caption.detail,
      ),
    );
  detailLines.forEach((line, i) =>
    cap.append(el(doc, "text", { x: pad, y: pad + 34 + i * 19, "data-part": "detail", style: `fill:${muted};font-size:14px;font-weight:600` }, line)),
  );
  cap.append(
    el(
      doc,
      "text",
      {
        x: pad,
        y: pad + 36 + below,
        style: `fill:${muted};font-size:14px;font-family:${getComputedStyle(doc.documentElement).getPropertyValue("--font-mono") || "monospace"}`,
      },
      caption.where,
    ),
  );
  noteLines.forEach((line, i) => cap.append(el(doc, "text", { x: pad, y: pad + 58 + below + i * 20, style: `fill:${text};font-size:15px` }, line)));
  out.append(cap);

  return { svg: `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(out)}\n`, width, height };
}

/** A slide: 1920×1080 (16:9), the picture scaled to fit and centred on the page's background. */
export const SLIDE = { width: 1920, height: 1080 } as const;

/**
 * Draw an SVG picture onto a canvas at `scale`× and encode it as PNG; with `slide`, on a 16:9
 * canvas of that size instead, letterboxed, so it drops onto a presentation's slide as it is.
 */
export async function pictureToPng(
  picture: StepPicture,
  scale = 2,
  doc: Document = document,
  slide?: { readonly width: number; readonly height: number; readonly background: string },
): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([picture.svg], { type: "image/svg+xml;charset=utf-8" }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = doc.createElement("canvas");
    canvas.width = slide ? slide.width : Math.round(picture.width * scale);
    canvas.height = slide ? slide.height : Math.round(picture.height * scale);
    const ctx = canvas.getContext("2d");
    if (!ctx) throw new Error("this browser cannot draw to a canvas");
    if (slide) {
      ctx.fillStyle = slide.background;
      ctx.fillRect(0, 0, slide.width, slide.height);
      const fit = Math.min(slide.width / picture.width, slide.height / picture.height);
      const [w, h] = [picture.width * fit, picture.height * fit];
      ctx.drawImage(img, (slide.width - w) / 2, (slide.height - h) / 2, w, h);
    } else {
      ctx.scale(scale, scale);
      ctx.drawImage(img, 0, 0, picture.width, picture.height);
    }
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("the PNG could not be encoded"))), "image/png"),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}
