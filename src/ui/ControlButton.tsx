/**
 * One playback control: an icon button that names its action and its key (aria-keyshortcuts and
 * the tooltip), shared by the app's bottom panel and the embed's smaller bar.
 */
import type { ReactElement } from "react";
import { Icon, type IconName } from "./icons";

export function ControlButton({
  icon,
  label,
  keys,
  onClick,
  disabled,
  primary,
  compact,
}: {
  icon: IconName;
  label: string;
  keys: string;
  onClick: () => void;
  disabled: boolean;
  primary?: boolean;
  /** The embed's bar: icons a step smaller so five controls fit a 960 px frame. */
  compact?: boolean;
}): ReactElement {
  const size = (primary ? 22 : 18) - (compact ? 2 : 0);
  return (
    <button
      type="button"
      className={`ctl${primary ? " ctl--primary" : ""}`}
      onClick={onClick}
      disabled={disabled}
      aria-label={label}
      aria-keyshortcuts={keys}
      title={`${label} (${keys})`}
    >
      <Icon name={icon} size={size} />
    </button>
  );
}
