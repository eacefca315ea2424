import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./ui/App";

const container = document.getElementById("root");
if (!container) throw new Error("tagflow: index.html has no #root element to render into.");

createRoot(container).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
