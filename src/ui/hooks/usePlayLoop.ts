import { useEffect } from "react";
import { tagflowStore, useTagflow } from "../../store/index";
import { stepInterval } from "../../store/playbackSlice";

/** While playing, advance one step every stepInterval(speed) ms. */
export function usePlayLoop(): void {
  const playing = useTagflow((s) => s.playing);
  const speed = useTagflow((s) => s.speed);
  useEffect(() => {
    if (!playing) return;
    const id = window.setInterval(() => tagflowStore.getState().tick(), stepInterval(speed));
    return () => window.clearInterval(id);
  }, [playing, speed]);
}
