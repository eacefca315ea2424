/**
 * Find a system tool the tests need (Chromium, tshark), installing Debian's package when we may.
 *
 * The set-up contract: `npm test` on a fresh machine needs nothing but `npm ci`. Browsers are
 * never downloaded from anywhere but Debian's archive; on any other system the message says
 * exactly what to install.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";

/** The absolute path of `name` on PATH, or undefined. */
export function which(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function isDebian(): boolean {
  return existsSync("/etc/debian_version") || /ID(_LIKE)?=.*debian/.test(safeRead("/etc/os-release"));
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

const isRoot = (): boolean => typeof process.getuid === "function" && process.getuid() === 0;

let aptUpdated = false;

/**
 * Install a Debian package non-interactively (root only). Returns false when we may not.
 * `apt-get update` runs once per process: a fresh CI machine has empty package lists.
 */
export function aptInstall(pkg: string): boolean {
  if (!isDebian() || !isRoot() || !which("apt-get")) return false;
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (!aptUpdated) {
    spawnSync("apt-get", ["update", "-qq"], { stdio: "ignore", env });
    aptUpdated = true;
  }
  const result = spawnSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", pkg], {
    stdio: ["ignore", "ignore", "pipe"],
    env,
  });
  return result.status === 0;
}

export interface ToolSpec {
  /** Human name for messages, e.g. "Chromium". */
  readonly label: string;
  /** Environment variable that may name the binary, e.g. CHROME_PATH. */
  readonly envVar?: string;
  /** Binary names to look for on PATH, in order. */
  readonly commands: readonly string[];
  /** The Debian package that provides the first command. */
  readonly debianPackage: string;
}

/**
 * Resolve a tool: the env var, then PATH, then (Debian, as root) `apt-get install`.
 * Throws with an actionable message when none works.
 */
export function ensureTool(spec: ToolSpec): string {
  const fromEnv = spec.envVar ? process.env[spec.envVar] : undefined;
  if (fromEnv) {
    if (existsSync(fromEnv)) return fromEnv;
    throw new Error(`${spec.envVar}=${fromEnv} does not exist. Point it at a ${spec.label} binary or unset it.`);
  }
  for (const name of spec.commands) {
    const found = which(name);
    if (found) return found;
  }
  if (aptInstall(spec.debianPackage)) {
    for (const name of spec.commands) {
      const found = which(name);
      if (found) return found;
    }
  }
  const how = isDebian() ? `run as root: apt-get install ${spec.debianPackage}` : `install ${spec.label} with your system's package manager`;
  throw new Error(
    `${spec.label} not found (looked for ${spec.envVar ? `$${spec.envVar}, ` : ""}${spec.commands.join(", ")} on PATH). ` +
      `To run these tests, ${how}${spec.envVar ? `, or set ${spec.envVar} to its path` : ""}.`,
  );
}

/** The version line a tool prints, for reports. */
export function toolVersion(path: string, args: readonly string[] = ["--version"]): string {
  try {
    return (
      execFileSync(path, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
        .split("\n")[0]
        ?.trim() ?? ""
    );
  } catch {
    return "unknown";
  }
}

export const CHROMIUM: ToolSpec = {
  label: "Chromium",
  envVar: "CHROME_PATH",
  commands: ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"],
  debianPackage: "chromium",
};

export const TSHARK: ToolSpec = {
  label: "tshark (Wireshark)",
  envVar: "TSHARK_PATH",
  commands: ["tshark"],
  debianPackage: "tshark",
};
