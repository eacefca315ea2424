import { runScenario } from "/work/wt-trace-store/src/engine/index";
import { floodInput, mustLoad } from "/work/wt-trace-store/bench/scenarios";
const n = Number(process.argv[2] ?? 3000);
const s = mustLoad(floodInput(n, "aes-gcm-16"));
runScenario(mustLoad(floodInput(300, "aes-gcm-16")));
const t0 = performance.now();
const tr = runScenario(s);
console.log("ms", performance.now() - t0, tr.events.length);
