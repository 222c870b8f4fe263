import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App, preloadScreen } from "./App.tsx";
import { I18nProvider, initialLang } from "./i18n/i18n.tsx";
import { loadMessages } from "./i18n/messages.ts";
import { RouterProvider } from "./router.tsx";
import { SessionProvider } from "./session.tsx";
import "./styles.css";

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root element.");
const lang = initialLang(navigator.languages ?? [navigator.language]);
// Only this language's strings (the other table is a chunk the switch loads when asked), and
// the current screen's chunk at the same time: the first render then shows the screen itself.
const [messages] = await Promise.all([loadMessages(lang), preloadScreen(window.location.pathname)]);
createRoot(root).render(
  <StrictMode>
    <I18nProvider lang={lang} messages={messages}>
      <SessionProvider baseUrl="">
        <RouterProvider>
          <App />
        </RouterProvider>
      </SessionProvider>
    </I18nProvider>
  </StrictMode>,
);
