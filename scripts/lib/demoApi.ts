// The few API calls the scripts that drive a running demo platform make (screenshots, the
// Lighthouse run): JSON requests, a staff sign-in with the demo's published TOTP secret, a
// sandbox payment and the wait for an order's keys.
import { Secret, TOTP } from "otpauth";
import { demoLogins, demoTotpSecrets } from "./seedDemo.ts";

/** Polls of an order before giving up (200 ms apart: 20 s). */
const orderPollsMax = 100;
const orderPollMs = 200;

export type DemoSession = { token: string; account: unknown };

export function demoApi(base: string) {
  const api = async <T>(method: string, pathname: string, body?: unknown, token?: string): Promise<T> => {
    const response = await fetch(base + pathname, {
      method,
      headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
      redirect: "manual",
    });
    const text = await response.text();
    if (response.status >= 400) throw new Error(`${method} ${pathname}: ${response.status} ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  // Staff sign in with a second factor: the demo's published TOTP secrets give the code.
  const login = async (role: keyof typeof demoLogins): Promise<DemoSession> => {
    const first = await api<{ state: string; token: string; account: unknown; pendingToken?: string }>("POST", "/api/auth/login", demoLogins[role]);
    if (first.state !== "second_factor_required") return first;
    const secret = demoTotpSecrets[role as keyof typeof demoTotpSecrets];
    const code = new TOTP({ secret: Secret.fromBase32(secret) }).generate();
    return api<DemoSession>("POST", "/api/auth/second-factor", { pendingToken: first.pendingToken, code });
  };
  const pay = async (paymentUrl: string) => {
    const paid = await fetch(`${base}/sandbox/epay/pay`, { method: "POST", body: new URL(paymentUrl).searchParams, redirect: "manual" });
    if (paid.status !== 303) throw new Error(`sandbox payment answered ${paid.status}`);
  };
  const waitForOrder = async (orderId: string, token: string) => {
    for (let attempt = 0; attempt < orderPollsMax; attempt++) {
      const order = await api<{ state: string; items: { issueState: string }[] }>("GET", `/api/orders/${orderId}?token=${token}`);
      if (order.state === "fulfilled" && order.items.every((item) => item.issueState !== "pending" && item.issueState !== "submitted")) return;
      await new Promise((resolve) => setTimeout(resolve, orderPollMs));
    }
  };
  return { api, login, pay, waitForOrder };
}
