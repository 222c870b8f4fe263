// Gets the Debian packages a command needs onto a fresh machine: installed with apt-get when
// this process runs as root (a fresh CI machine), otherwise one message naming every missing
// piece and the command that installs it. Nothing is installed or printed when all is there.
import { spawnSync } from "node:child_process";

export type DebianPiece = {
  /** What the user reads, e.g. "Redis (redis-server)". */
  what: string;
  /** The Debian package that provides it. */
  debianPackage: string;
  present(): boolean;
};

/** Thrown when pieces are missing and this process may not install them. */
export class MissingPiecesError extends Error {}

let aptListsUpdated = false;

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export function ensureDebianPackages(pieces: DebianPiece[], hint?: string): void {
  const missing = pieces.filter((piece) => !piece.present());
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((piece) => piece.debianPackage))];
  if (!isRoot()) {
    const lines = missing.map((piece) => `  sudo apt-get install -y ${piece.debianPackage.padEnd(14)} # ${piece.what}`);
    throw new MissingPiecesError(`keyledger: missing on this machine, and only root can install:\n${lines.join("\n")}\n${hint ? `${hint}\n` : ""}`);
  }
  process.stderr.write(`keyledger: installing ${packages.join(" ")} with apt-get (missing: ${missing.map((piece) => piece.what).join(", ")})\n`);
  // A fresh machine's package lists may be empty or stale; one update before the first install.
  if (!aptListsUpdated) {
    runApt(["update", "-qq"]);
    aptListsUpdated = true;
  }
  runApt(["install", "-y", "-qq", ...packages]);
  const stillMissing = missing.filter((piece) => !piece.present());
  if (stillMissing.length > 0) {
    throw new Error(`keyledger: apt-get installed ${packages.join(" ")} but ${stillMissing.map((piece) => piece.what).join(", ")} is still missing.`);
  }
}

function runApt(args: string[]): void {
  // Another install (a second suite or script starting at the same time) holds dpkg's lock:
  // wait for it instead of failing at once.
  const result = spawnSync("apt-get", ["-o", "DPkg::Lock::Timeout=600", ...args], {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  if (result.error) throw new Error(`keyledger: could not run apt-get ${args[0]} (${result.error.message}); install the packages by hand.`);
  if (result.status !== 0) throw new Error(`keyledger: apt-get ${args.join(" ")} failed (exit ${result.status}).`);
}

/** True when `command -v name` finds an executable on PATH. */
export function commandOnPath(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}
