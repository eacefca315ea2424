/**
 * The app shell at projector scale: header bar, outcome banner (with the comparison with the
 * no-fix run under it when there is one), the stack view beside narration
 * and the inspector / fixes tabs, and the timeline with the tag lanes at the bottom. A scenario
 * file dropped anywhere on it is opened.
 */
import { lazy, Suspense, type ReactElement } from "react";
import { DEFAULT_SCENARIO } from "../store/builtinCatalog";
import { tagflowStore, useTagflow } from "../store/index";
import { BottomPanel } from "./timeline/BottomPanel";
import { ErrorBoundary } from "./ErrorBoundary";
import { FixesPanel, FixStrip } from "./panels/FixesPanel";
import { HeaderBar } from "./panels/HeaderBar";
import { Icon } from "./icons";
import { useFileDrop } from "./hooks/useFileDrop";
import { useKeyboard } from "./hooks/useKeyboard";
import { usePlayLoop } from "./hooks/usePlayLoop";
import { useTheme } from "./hooks/useTheme";
import { Inspector } from "./inspector/Inspector";
import { Narration } from "./panels/Narration";
import { openScenarioFile } from "./openFile";
import { OutcomeBanner } from "./panels/OutcomeBanner";
import { ProblemsAlert } from "./panels/ProblemsAlert";
import { StackView } from "./stack/StackView";
import { RecapCard, SharedNotice, StoryCard } from "./panels/StoryCard";
import { SvgDefs } from "./stack/SvgDefs";
import { panelId, tabId, Tabs } from "./panels/Tabs";
import { uiStore, useUi } from "./uiStore";
import { LessonCardSlot } from "./lessons/LessonCardSlot";
import { LessonLayer } from "./lessons/LessonLayer";

// Loaded when first asked for (? or the Help button): not part of the first load.
// The side-by-side compare loads when first opened.
const AlignedCompare = lazy(() => import("./panels/AlignedCompare").then((m) => ({ default: m.AlignedCompare })));
// Off the first load (design.md: 150 KiB gzipped): the compare strip appears only once a run has a
// comparison (a fix or another kernel), the progress strip only while a run takes long.
const CompareStrip = lazy(() => import("./panels/CompareView").then((m) => ({ default: m.CompareStrip })));
const RunProgress = lazy(() => import("./panels/RunProgress").then((m) => ({ default: m.RunProgress })));
const HelpOverlay = lazy(() => import("./panels/HelpOverlay").then((m) => ({ default: m.HelpOverlay })));

type SideTab = "packet" | "mbufs" | "tags" | "fixes";

/** The scenario editor, a chunk of its own (it carries the validator and d3-force). */
const EditorPanel = lazy(() => import("./editor/EditorPanel"));
const closeEditor = () => uiStore.getState().setEditorOpen(false);

function RightColumn(): ReactElement {
  const rightTab = useTagflow((s) => s.rightTab);
  const inspectorTab = useTagflow((s) => s.inspectorTab);
  const fixCount = useTagflow((s) => s.fixes.length);
  const value: SideTab = rightTab === "fixes" ? "fixes" : inspectorTab;
  const tabs: { id: SideTab; label: ReactElement | string }[] = [
    { id: "packet", label: "Headers & bytes" },
    { id: "mbufs", label: "mbufs" },
    { id: "tags", label: "Tags & flags" },
    {
      id: "fixes",
      label: (
        <>
          Fixes <span className="tab-count">{fixCount > 0 ? `${fixCount} on` : "off"}</span>
        </>
      ),
    },
  ];
  const onChange = (t: SideTab) => {
    const st = tagflowStore.getState();
    if (t === "fixes") return st.setRightTab("fixes");
    st.setRightTab("inspector");
    st.setInspectorTab(t);
  };
  return (
    <aside className="side">
      <Narration />
      <LessonCardSlot />
      <div className="side-tabs">
        <Tabs label="Inspector and fixes" idPrefix="side" tabs={tabs} value={value} onChange={onChange} />
        <div className="side-panel" role="tabpanel" id={panelId("side", value)} aria-labelledby={tabId("side", value)}>
          {value === "fixes" ? <FixesPanel /> : <Inspector />}
        </div>
      </div>
    </aside>
  );
}

function NoTrace(): ReactElement {
  const error = useTagflow((s) => s.error);
  return (
    <div className="no-trace" role="alert">
      <h2>The scenario could not be run</h2>
      <p>{error}</p>
      <button type="button" className="btn" onClick={() => void tagflowStore.getState().selectScenario(DEFAULT_SCENARIO)}>
        Open the default scenario
      </button>
    </div>
  );
}

const onDroppedFile = (file: File) => void openScenarioFile(file);

/** What dropping a file will do, over the whole app while one is dragged over it. */
function DropOverlay(): ReactElement {
  return (
    <div className="drop-overlay" data-testid="drop-overlay" aria-hidden="true">
      <div className="drop-card">
        <Icon name="open" size={28} />
        <p className="drop-title">Drop a scenario file to open it</p>
        <p>A tagflow scenario (.json), e.g. one exported with Export → Scenario. It is checked before it runs.</p>
      </div>
    </div>
  );
}

/** Props: none; the store is the app's state. */
export function App(): ReactElement {
  useKeyboard();
  usePlayLoop();
  useTheme();
  const dragging = useFileDrop(onDroppedFile);
  const status = useTagflow((s) => s.status);
  const hasTrace = useTagflow((s) => s.trace !== null);
  const present = useUi((st) => st.present);
  const helpOpen = useUi((st) => st.helpOpen);
  const editing = useUi((st) => st.editorOpen);
  const compared = useTagflow((s) => s.comparison !== null);
  const reset = () => void tagflowStore.getState().selectScenario(DEFAULT_SCENARIO);
  return (
    <div className={`app${present ? " is-present" : ""}`} data-present={present}>
      <SvgDefs />
      <HeaderBar />
      <div className="banner-area">
        <OutcomeBanner />
        <FixStrip />
        {compared && (
          <Suspense fallback={null}>
            <CompareStrip />
          </Suspense>
        )}
        <SharedNotice />
      </div>
      <main className="workspace">
        <ErrorBoundary onReset={reset}>
          <div className="stack-wrap">
            {status === "error" && !hasTrace ? <NoTrace /> : <StackView />}
            <ProblemsAlert />
            {status === "running" && (
              <Suspense fallback={null}>
                <RunProgress />
              </Suspense>
            )}
            <StoryCard />
            <RecapCard />
            <AlignedCompare />
          </div>
        </ErrorBoundary>
        <ErrorBoundary onReset={reset}>
          {editing ? (
            <Suspense fallback={<aside className="side" aria-busy="true" />}>
              <EditorPanel onClose={closeEditor} />
            </Suspense>
          ) : (
            <RightColumn />
          )}
        </ErrorBoundary>
      </main>
      <ErrorBoundary onReset={reset}>
        <BottomPanel />
      </ErrorBoundary>
      {present && (
        <button type="button" className="btn present-exit" data-testid="present-exit" onClick={() => uiStore.getState().togglePresent()}>
          Leave Present mode <kbd>P</kbd>
        </button>
      )}
      {dragging && <DropOverlay />}
      {helpOpen && (
        <Suspense fallback={null}>
          <HelpOverlay />
        </Suspense>
      )}
      <LessonLayer />
    </div>
  );
}
