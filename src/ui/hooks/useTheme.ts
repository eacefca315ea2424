import { useEffect } from "react";
import { useTagflow } from "../../store/index";

const DARK = "(prefers-color-scheme: dark)";

/**
 * Put the theme in force on <html data-theme>: the chosen one, or for "system" the system's,
 * followed as it changes. The stylesheet then has one light and one dark palette, keyed on the
 * attribute alone (index.html sets it before the first paint, so there is no flash).
 */
export function useTheme(): void {
  const theme = useTagflow((s) => s.theme);
  useEffect(() => {
    const root = document.documentElement;
    if (theme !== "system") {
      root.dataset.theme = theme;
      return;
    }
    const mql = typeof window.matchMedia === "function" ? window.matchMedia(DARK) : null;
    const apply = () => (root.dataset.theme = mql?.matches ? "dark" : "light");
    apply();
    mql?.addEventListener("change", apply);
    return () => mql?.removeEventListener("change", apply);
  }, [theme]);
}
