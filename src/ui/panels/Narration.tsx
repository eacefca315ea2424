/**
 * Narration: the current step in one plain sentence, the kernel function and its source file,
 * what a decision asked and consulted, the seed-story step it illustrates, and the findings that
 * became true here.
 */
import { lazy, Suspense, type ReactElement } from "react";
import { storyOf, type Consulted, type TraceEvent } from "../../engine/index";
import { useTagflow } from "../../store/index";
import { sourceOf, traceIndex } from "../../store/selectors";
import { flagLabel, flagSwatch, tagShortName, tagSwatch } from "../palette";
import { formatMicros, hex } from "../text";

// A link crossing's picture (request beside reply) is drawn at link.tx steps only: off the first load.
const LinkCrossings = lazy(() => import("./LinkCrossings").then((m) => ({ default: m.LinkCrossings })));

function ConsultedItem({ c }: { c: Consulted }): ReactElement {
  switch (c.kind) {
    case "tag": {
      if (!c.tag) {
        return (
          <li className="consulted consulted--missing">
            <span className="mini-badge mini-badge--none">{tagShortName(c.name)}</span> not on the packet
          </li>
        );
      }
      const sw = tagSwatch(c.tag.name);
      const id = c.tag.tdbi ? `{${c.tag.tdbi.dst}, ${c.tag.tdbi.proto}, ${hex(c.tag.tdbi.spi)}}` : "";
      return (
        <li className={`consulted${c.stale ? " is-stale" : ""}`}>
          <span className={`mini-badge${c.stale ? " is-stale" : ""}`} style={{ background: sw.fill, color: sw.text }}>
            {tagShortName(c.tag.name)}
          </span>
          <code>{id}</code>
          {c.stale && <strong className="stale-word">stale</strong>}
        </li>
      );
    }
    case "flag": {
      const sw = flagSwatch(c.flag);
      return (
        <li className={`consulted${c.stale ? " is-stale" : ""}`}>
          <span className={`mini-badge mini-badge--flag${c.stale ? " is-stale" : ""}`} style={{ borderColor: sw.fill }}>
            {flagLabel(c.flag)}
          </span>
          {c.set ? "set" : "not set"}
          {c.stale && <strong className="stale-word">stale</strong>}
        </li>
      );
    }
    case "sp":
    case "sa":
      return (
        <li className="consulted">
          <span className="consulted-kind">{c.kind === "sp" ? "policy" : "SA"}</span> {c.summary}
        </li>
      );
    case "route":
      return (
        <li className="consulted">
          <span className="consulted-kind">route</span> {c.summary}
        </li>
      );
    case "field":
      return (
        <li className="consulted">
          <span className="consulted-kind">{c.header}</span>
          <code>
            {c.field} = {c.value}
          </code>
        </li>
      );
    case "switch":
      return (
        <li className="consulted">
          <span className="consulted-kind">kernel</span>
          <code>
            {c.name} = {c.value}
          </code>
        </li>
      );
  }
}

function DecisionBlock({ e }: { e: Extract<TraceEvent, { kind: "decision" }> }): ReactElement {
  const stale = e.consulted.some((c) => (c.kind === "tag" || c.kind === "flag") && c.stale === true);
  return (
    <div className={`decision${stale ? " is-stale" : ""}`} data-testid="decision">
      <p className="decision-q">
        <span className="decision-mark" aria-hidden="true">
          ◆
        </span>{" "}
        {e.question}
      </p>
      {e.consulted.length > 0 && (
        <ul className="consulted-list" aria-label="What the decision consulted">
          {e.consulted.map((c, i) => (
            <ConsultedItem key={i} c={c} />
          ))}
        </ul>
      )}
      <p className="decision-branch">
        Branch taken: <strong>{e.branch}</strong>
      </p>
    </div>
  );
}

/** Props: none; reads the store. */
export function Narration(): ReactElement {
  const trace = useTagflow((s) => s.trace);
  const cursor = useTagflow((s) => s.cursor);
  const playing = useTagflow((s) => s.playing);
  const e = trace?.events.at(cursor) ?? null;
  if (!trace || !e) {
    return (
      <section className="narration narration--empty" aria-label="Narration">
        <p className="narration-note">
          {trace ? "The engine ran this scenario and recorded no steps: it sends no packets." : "Loading the scenario…"}
        </p>
      </section>
    );
  }
  const source = sourceOf(trace.personality, e.fn);
  const findings = traceIndex(trace).findingsAt.get(e.seq) ?? [];
  const def = storyOf(trace.scenario);
  const story = e.story !== undefined ? def?.steps[e.story - 1] : undefined;
  const caveat = e.story !== undefined ? def?.caveats[e.story - 1] : undefined;
  return (
    <section className="narration" aria-label="Narration" data-testid="narration">
      <div className="narration-meta">
        {e.kind === "fault" ? (
          <strong className="narration-fault" data-testid="narration-fault">
            Injected fault: {e.fault} (not kernel code)
          </strong>
        ) : (
          <code className="narration-fn">{e.fn}()</code>
        )}
        {source && <span className="narration-src">{source}</span>}
        <span className="narration-where">
          {trace.scenario.hosts.length > 1 ? `${e.host} · ` : ""}t = {formatMicros(e.t)}
        </span>
      </div>
      <p className="narration-note" aria-live={playing ? "off" : "polite"}>
        {e.note}
      </p>
      {e.kind === "decision" && <DecisionBlock e={e} />}
      {e.kind === "link.tx" && (
        <Suspense fallback={null}>
          <LinkCrossings trace={trace} seq={e.seq} />
        </Suspense>
      )}
      {findings.map((f) => (
        <p key={f.id} className={`narration-finding narration-finding--${f.severity}`}>
          <strong>{f.severity === "info" ? "Note" : "Finding"}:</strong> {f.sentence}
        </p>
      ))}
      {story && (
        <blockquote className="narration-story">
          <span className="story-step">
            {def!.who}’s {def!.who === "Stone" ? "step" : "claim"} {e.story} of {def!.steps.length}:
          </span>{" "}
          “{story}” <cite>{def!.cite}</cite>
          {caveat && <span className="story-caveat"> The code differs: {caveat}</span>}
        </blockquote>
      )}
    </section>
  );
}
