// A ticket kept live: the first read over the API, then its server-sent events (read with the
// API client's fetch, since an EventSource cannot send the session's Authorization header),
// resumed after the last message id when the stream ends; when the stream fails, the long poll
// (GET /api/tickets/{id}?waitSeconds=) takes over. docs/support.md, "Messages, read state, real time".
import { useCallback, useEffect, useRef, useState } from "react";
import { answer, type Schemas } from "../api/client.ts";
import { useSession } from "../session.tsx";

export type Ticket = Schemas["Ticket"];
export type TicketMessage = Schemas["TicketMessage"];
export type TicketLive = {
  ticket: Ticket | undefined;
  viewer: "buyer" | "merchant" | "staff" | undefined;
  messages: TicketMessage[];
  error: unknown;
  live: boolean;
};

const pollWaitSeconds = 20;
const retryDelayMs = 2_000;

export function useTicketLive(
  ticketId: string,
  token: string | undefined,
): TicketLive & { accept(update: { ticket?: Ticket; messages?: TicketMessage[] }): void; refresh(): void } {
  const { api } = useSession();
  const [state, setState] = useState<TicketLive>({ ticket: undefined, viewer: undefined, messages: [], error: undefined, live: false });
  const lastId = useRef("0");
  const [generation, setGeneration] = useState(0);

  const take = useCallback((update: { ticket?: Ticket; viewer?: TicketLive["viewer"]; messages?: TicketMessage[]; live?: boolean }) => {
    setState((current) => {
      const known = new Set(current.messages.map((message) => message.id));
      const added = (update.messages ?? []).filter((message) => !known.has(message.id));
      const last = added.at(-1);
      if (last) lastId.current = last.id;
      return {
        ticket: update.ticket ?? current.ticket,
        viewer: update.viewer ?? current.viewer,
        messages: added.length ? [...current.messages, ...added] : current.messages,
        error: undefined,
        live: update.live ?? current.live,
      };
    });
  }, []);

  // biome-ignore lint/correctness/useExhaustiveDependencies: generation restarts the loop after a refresh
  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    const path = { ticketId };
    const query = token ? { token } : {};
    const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
    async function readStream(): Promise<void> {
      const { data, response } = await api.GET("/api/tickets/{ticketId}/events", {
        params: { path, query: { ...query, afterMessageId: lastId.current } },
        parseAs: "stream",
        signal,
      });
      if (!response.ok || !data) throw new Error(`stream answered ${response.status}`);
      take({ live: true });
      const reader = (data as ReadableStream<BufferSource>).pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          if (!data) continue;
          if (event === "ticket") take(JSON.parse(data) as { ticket: Ticket; viewer: TicketLive["viewer"] });
          else if (event === "message") take({ messages: [JSON.parse(data) as TicketMessage] });
        }
      }
    }
    async function poll(): Promise<void> {
      const page = await answer(
        api.GET("/api/tickets/{ticketId}", { params: { path, query: { ...query, afterMessageId: lastId.current, waitSeconds: pollWaitSeconds } }, signal }),
      );
      take({ ticket: page.ticket, viewer: page.viewer, messages: page.messages, live: false });
    }
    void (async () => {
      try {
        const first = await answer(api.GET("/api/tickets/{ticketId}", { params: { path, query }, signal }));
        take({ ticket: first.ticket, viewer: first.viewer, messages: first.messages });
      } catch (error) {
        if (!signal.aborted) setState((current) => ({ ...current, error }));
        return;
      }
      // Bounded by the page's life: the stream runs until the server ends it, then resumes.
      while (!signal.aborted) {
        try {
          await readStream();
        } catch {
          if (signal.aborted) return;
          take({ live: false });
          try {
            await poll();
          } catch {
            await wait(retryDelayMs);
          }
        }
      }
    })();
    return () => controller.abort();
  }, [api, ticketId, token, take, generation]);

  return { ...state, accept: take, refresh: () => setGeneration((value) => value + 1) };
}
