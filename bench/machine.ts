/** A description of the machine the bench ran on, for the JSON report. */
import { readFileSync } from "node:fs";
import os from "node:os";

export interface MachineInfo {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryBytes: number;
  readonly os: string;
  readonly arch: string;
  readonly node: string;
  readonly v8: string;
  /** Node is built without V8 pointer compression: its heap figures are ~1.5–2× Chromium's. */
  readonly nodePointerCompression: boolean;
  /** Filled in by the UI section when Chromium ran. */
  chromium: string | null;
}

function osName(): string {
  try {
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync("/etc/os-release", "utf8"));
    if (pretty?.[1]) return `${pretty[1]} (${os.type()} ${os.release()})`;
  } catch {
    // not Linux
  }
  return `${os.type()} ${os.release()}`;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  const variables = process.config.variables as unknown as Record<string, unknown>;
  return {
    cpu: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryBytes: os.totalmem(),
    os: osName(),
    arch: process.arch,
    node: process.version,
    v8: process.versions.v8,
    nodePointerCompression: Boolean(variables.v8_enable_pointer_compression),
    chromium: null,
  };
}
