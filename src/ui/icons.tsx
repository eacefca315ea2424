/** Small inline icons (currentColor, 20×20 viewBox); decorative: the controls carry the names. */
import type { ReactElement } from "react";

const paths = {
  start: "M5 4h2v12H5zM16 4v12L8 10z",
  end: "M13 4h2v12h-2zM4 4v12l8-6z",
  back: "M14 4v12L6 10z",
  forward: "M6 4v12l8-6z",
  play: "M6 3.5v13l11-6.5z",
  pause: "M5 4h3.5v12H5zM11.5 4H15v12h-3.5z",
  prevDecision: "M9 4v12L2 10zM14 6l4 4-4 4-4-4z",
  nextDecision: "M11 4v12l7-6zM6 6l4 4-4 4-4-4z",
  prevFinding: "M10 4v12L3 10zM13 4h1.6v12H13zM14.6 4.5h4.4l-1.4 2.2 1.4 2.2h-4.4z",
  nextFinding: "M10 4v12l7-6zM3 4h1.6v12H3zM4.6 4.5H9L7.6 6.7 9 8.9H4.6z",
  lock: "M6 9V7a4 4 0 0 1 8 0v2h1.5v8h-11V9zm2 0h4V7a2 2 0 0 0-4 0z",
  open: "M3 5h5l2 2h7v9H3z",
  sun: "M10 6a4 4 0 1 1 0 8 4 4 0 0 1 0-8zM9.2 1h1.6v3H9.2zM9.2 16h1.6v3H9.2zM1 9.2h3v1.6H1zM16 9.2h3v1.6h-3z",
  moon: "M12.5 2.5a7.5 7.5 0 1 0 5 12.9A6.5 6.5 0 0 1 12.5 2.5z",
  auto: "M10 2a8 8 0 1 0 0 16zm0 1.6v12.8a6.4 6.4 0 0 1 0-12.8z",
  close: "M5 3.6 10 8.6l5-5 1.4 1.4-5 5 5 5-1.4 1.4-5-5-5 5-1.4-1.4 5-5-5-5z",
  warn: "M10 2 19 18H1zm-1 6v5h2V8zm0 6v2h2v-2z",
  pin: "M7 2h6l-1 5 3 3H11v6l-1 2-1-2v-6H5l3-3z",
  link: "M8.6 11.4a1 1 0 0 1 0-1.4l3-3a1 1 0 1 1 1.4 1.4l-3 3a1 1 0 0 1-1.4 0zM10.5 4.6l1.3-1.3a4 4 0 0 1 5.7 5.7l-2.1 2.1a4 4 0 0 1-4.6.8l1.5-1.5a2 2 0 0 0 1.7-.6l2.1-2.1a2 2 0 0 0-2.9-2.9l-1.3 1.3zM9.5 15.4l-1.3 1.3a4 4 0 0 1-5.7-5.7l2.1-2.1a4 4 0 0 1 4.6-.8L7.7 9.6a2 2 0 0 0-1.7.6l-2.1 2.1a2 2 0 0 0 2.9 2.9l1.3-1.3z",
  check: "M7.5 13.2 3.8 9.5 2.4 10.9l5.1 5.1L17.6 5.9l-1.4-1.4z",
  download: "M9 2h2v8.2l2.8-2.8 1.4 1.4L10 14 4.8 8.8l1.4-1.4L9 10.2zM3 15h14v2H3z",
  external: "M11 3h6v6h-2V6.4l-6.3 6.3-1.4-1.4L13.6 5H11zM4 5h5v2H5v8h8v-4h2v6H3V5z",
  present: "M2 3h16v10H2zm2 2v6h12V5zM9 13h2v3h3v2H6v-2h3z",
  menu: "M3 5h14v2H3zM3 9h14v2H3zM3 13h14v2H3z",
  info: "M10 2a8 8 0 1 1 0 16 8 8 0 0 1 0-16zm-1 7v6h2V9zm0-4v2h2V5z",
} as const;

export type IconName = keyof typeof paths;

/** An icon; `label` makes it an image with a name, otherwise it is hidden from assistive tech. */
export function Icon({ name, size = 18, label }: { name: IconName; size?: number; label?: string }): ReactElement {
  return (
    <svg
      className="icon"
      width={size}
      height={size}
      viewBox="0 0 20 20"
      fill="currentColor"
      {...(label ? { role: "img", "aria-label": label } : { "aria-hidden": true, focusable: false })}
    >
      <path d={paths[name]} />
    </svg>
  );
}
