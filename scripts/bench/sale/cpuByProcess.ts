// CPU time per process during the benchmark's load phase, read from /proc (Linux): the
// measure of where an order's work goes when the machine's speed drifts (a V8 profile shows
// where a process's time goes, but counts time preempted in system calls as its own). Every
// process on the machine is read at the start and at the end of the load, and grouped: the
// platform's own processes by pid, the local chain as the API process's descendant,
// PostgreSQL and Redis by name. A process that started during the load counts whole (a pool
// may open connections late); one that ended before the end is missed.
import { readdirSync, readFileSync } from "node:fs";

type ProcessTimes = { pid: number; ppid: number; name: string; ticks: number };

// Linux reports utime and stime in USER_HZ, which is 100 on every architecture Node runs on.
const ticksPerSecond = 100;

function readProcesses(): Map<number, ProcessTimes> {
  const found = new Map<number, ProcessTimes>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      // The name is in parentheses and may itself hold spaces or parentheses.
      const close = stat.lastIndexOf(")");
      const name = stat.slice(stat.indexOf("(") + 1, close);
      const fields = stat.slice(close + 2).split(" ");
      found.set(Number(entry), { pid: Number(entry), ppid: Number(fields[1]), name, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process ended while /proc was being read.
    }
  }
  return found;
}

export type CpuRoles = Record<string, number>;

/**
 * Starts a reading; `finish(orders, postgresLabels)` returns milliseconds of CPU per order by
 * group. `postgresLabels` names PostgreSQL's processes by pid (the client's application_name,
 * or the backend type): each becomes a group `postgres_<label>`, so the database's share is
 * split by the process that asked for it.
 */
export function startCpuReading(roles: CpuRoles): { finish(orders: number, postgresLabels?: Map<number, string>): Record<string, number> } {
  const before = readProcesses();
  return {
    finish(orders, postgresLabels = new Map()) {
      const after = readProcesses();
      const groupOf = (pid: number): string => {
        for (let current = after.get(pid), depth = 0; current && depth < 16; current = after.get(current.ppid), depth += 1) {
          const role = Object.entries(roles).find(([, rolePid]) => rolePid === current!.pid)?.[0];
          if (role) return current.pid === pid ? role : role === "api" ? "chain" : role;
        }
        const name = after.get(pid)!.name;
        if (name === "postgres") return postgresLabels.has(pid) ? `postgres_${postgresLabels.get(pid)}` : "postgres";
        if (name.startsWith("redis-server")) return "redis";
        return "other";
      };
      const totals: Record<string, number> = {};
      for (const [pid, end] of after) {
        const start = before.get(pid);
        const startTicks = start && start.name === end.name ? start.ticks : 0;
        const group = groupOf(pid);
        totals[group] = (totals[group] ?? 0) + ((end.ticks - startTicks) * 1000) / ticksPerSecond;
      }
      const perOrder: Record<string, number> = {};
      let all = 0;
      for (const [group, ms] of Object.entries(totals).sort((a, b) => b[1] - a[1])) {
        perOrder[group] = ms / Math.max(1, orders);
        all += ms;
      }
      perOrder.total = all / Math.max(1, orders);
      return perOrder;
    },
  };
}
