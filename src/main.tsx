import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { DEFAULT_SCENARIO } from "./engine/index";
import { tagflowStore } from "./store/index";
import { App } from "./ui/App";
import "./ui/styles.css";

const container = document.getElementById("root");
if (!container) throw new Error("tagflow: index.html has no #root element to render into.");

void tagflowStore.getState().selectScenario(DEFAULT_SCENARIO);

createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
