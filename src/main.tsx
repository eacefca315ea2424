import { lazy, StrictMode, Suspense } from "react";
import { createRoot } from "react-dom/client";
import { startUrlSync } from "./share/urlSync";
import { tagflowStore } from "./store/index";
import { App } from "./ui/App";
import { uiStore } from "./ui/uiStore";
import "./ui/styles.css";

const container = document.getElementById("root");
if (!container) throw new Error("tagflow: index.html has no #root element to render into.");

// The address bar says what to show (a share link, or nothing: the default scenario), and from
// then on follows what is shown.
const sync = startUrlSync(tagflowStore);

// The first minute (issue 17): a link that names a step says where it lands; the story card at
// step 1 goes for good once the viewer moves on.
if (!sync.embed.embed) {
  const opened = window.location.hash;
  void sync.ready.then(() => {
    const s = tagflowStore.getState();
    if (opened.length > 1 && s.trace && s.cursor > 0) uiStore.getState().setSharedNotice({ step: s.cursor, fixes: [...s.fixes] });
  });
  tagflowStore.subscribe((s, prev) => {
    if (prev.cursor === 0 && s.cursor !== 0 && s.trace === prev.trace) uiStore.getState().dismissStory();
  });
}

// The embed (`?embed`) is its own chunk: the full app's first load does not carry it.
const EmbedApp = lazy(() => import("./ui/EmbedApp").then((m) => ({ default: m.EmbedApp })));

createRoot(container).render(
  <StrictMode>
    {sync.embed.embed ? (
      <Suspense fallback={null}>
        <EmbedApp />
      </Suspense>
    ) : (
      <App />
    )}
  </StrictMode>,
);
