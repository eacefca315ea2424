import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { startUrlSync } from "./share/urlSync";
import { tagflowStore } from "./store/index";
import { App } from "./ui/App";
import { EmbedApp } from "./ui/EmbedApp";
import "./ui/styles.css";

const container = document.getElementById("root");
if (!container) throw new Error("tagflow: index.html has no #root element to render into.");

// The address bar says what to show (a share link, or nothing: the default scenario), and from
// then on follows what is shown.
const sync = startUrlSync(tagflowStore);

createRoot(container).render(<StrictMode>{sync.embed.embed ? <EmbedApp /> : <App />}</StrictMode>);
