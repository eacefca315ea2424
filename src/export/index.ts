/** Export a trace for Wireshark: pcapng captures and the ESP SA table that decrypts them. */
export { LINKTYPE, readPcapng, writePcapng, writePcapngChunks } from "./pcapng";
export type { PcapngCapture, PcapngInterface, PcapngPacket, PcapngReadCapture, PcapngReadPacket } from "./pcapng";
export { WIRESHARK_AUTH_NAME, WIRESHARK_ENC_NAME, espSaTable, espSaTableLines } from "./espSaTable";
export type { EspAuthAlg, EspEncAlg, EspSaForExport } from "./espSaTable";
export { TAGFLOW_VERSION, captureTitle, traceEspSas, traceToJson, traceToJsonChunks, traceToPcapng, traceToPcapngChunks } from "./capture";
export { keyMessageFrames, traceCapture } from "./capture";
export type { ScenarioTraceLike } from "./capture";
export { TRACE_JSON_FORMAT, convertTraceLines, traceFromJson, traceJsonFormat } from "./traceJson";
export type { TraceJsonFormat } from "./traceJson";
